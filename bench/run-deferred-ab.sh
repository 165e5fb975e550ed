#!/usr/bin/env bash
# Deferred micro-benchmarks of two builds (their bench/AsyncCore.Benchmarks dll), interleaved: before, after, after, before...
# BenchmarkDotNet ShortRun, in-process, pinned to core 0 at nice -20. CSV reports land in $out/<n>-<build>/.
# `python3 bench/summarize_ab.py deferred OUT` turns the reports into ranges and per-pair ratios.
# Usage: bash bench/run-deferred-ab.sh BEFORE_DLL AFTER_DLL PAIRS OUT   (FIRST=N starts at pair N, to add pairs to OUT)
set -euo pipefail
before=$1; after=$2; pairs=$3; out=$4
mkdir -p "$out"
filters=('*DeferredBenchmarks.Tcs_ThreeContinueWith' '*DeferredBenchmarks.Deferred_ThreeCallbacksThenFire' '*DeferredBenchmarks.Deferred_ChainFired' '*DeferredBenchmarks.AsyncTask_AwaitThreeCompleted' '*DeferredBenchmarks.AsyncDeferred_AwaitThreeFired' '*DeferredBenchmarks.AwaitFired')
for i in $(seq "${FIRST:-1}" "$pairs"); do
  if [ $((i % 2)) -eq 1 ]; then order="before after"; else order="after before"; fi
  for b in $order; do
    dll=$before; [ "$b" = after ] && dll=$after
    echo "pair $i $b load=$(cut -d' ' -f1 /proc/loadavg) $(date +%T)"
    (cd "$(dirname "$dll")" && nice -n -20 taskset -c 0 dotnet "$dll" --inProcess --job short --filter "${filters[@]}" --artifacts "$out/$i-$b" --exporters csv >"$out/$i-$b.log" 2>&1) || echo "failed: $out/$i-$b.log"
  done
done
