#!/usr/bin/env bash
# CPU profile of one Deferred micro-benchmark: perf's software clock (no hardware counters needed, so it works in a VM),
# JIT frames named through the runtime's perf map. Prints the hottest symbols, self time first.
# Usage: bash bench/profile-deferred.sh METHOD [SECONDS]   e.g. DeferredList_Hundred, AsyncDeferred_AwaitThreeFresh
set -euo pipefail
method=$1; seconds=${2:-10}
dll=bench/AsyncCore.Benchmarks/bin/Release/net10.0/AsyncCore.Benchmarks.dll
out=$(mktemp -d)
# Tiered compilation settles in the first seconds; the profile covers the whole run, so keep it long enough.
DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0 taskset -c 0 perf record -q -e cpu-clock -F 2000 -g -o "$out/perf.data" -- dotnet "$dll" loop "$method" "$seconds"
perf report -i "$out/perf.data" --no-children --sort dso,symbol --stdio -g none 2>/dev/null | grep -E '^ +[0-9]' | head -25
echo "perf data: $out/perf.data"
