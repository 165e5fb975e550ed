#!/usr/bin/env bash
# Before/after echo benchmark of two builds of AsyncCore, with run-echo.sh's method: the server pinned to core 0 and
# the load generator to core 1 (taskset; no nice, as run-echo.sh), server CPU from /proc/PID/stat. Each round runs the
# EventLoopReactor and EpollReactor servers of both builds (64-byte ping-pong at 1 and 50 connections, then the 1 GiB
# bulk sink), the build order alternating per round; round 0 is a warm-up. Every point is one line on stdout;
# `python3 bench/summarize_ab.py echo LOG` turns them into min-max ranges and per-round ratios.
# Both trees must be built first: dotnet build DIR/bench/AsyncCore.Net.Benchmarks -c Release (and bench/loadgen once).
# Usage: bash bench/run-echo-ab.sh BEFORE_DIR AFTER_DIR LOADGEN_DLL [SECONDS=5] [ROUNDS=5] > LOG
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
before=$1; after=$2; loadgen=$3; seconds=${4:-5}; rounds=${5:-5}
bulk_mb=${BULK_MB:-1024}; port=${PORT:-47011}; quiet_max=${QUIET_MAX:-5}
srv=bench/AsyncCore.Net.Benchmarks/bin/Release/net10.0/AsyncCore.Net.Benchmarks.dll
# shellcheck source=echo-lib.sh
source "$root/bench/echo-lib.sh"

server_pid=
trap 'if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; fi' EXIT
start_server() { # tree mode
  wait_quiet
  taskset -c 0 dotnet "$1/$srv" "$2" "$port" >/dev/null 2>&1 &
  server_pid=$!
  wait_port
}
stop_server() { kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; server_pid=; sleep 0.5; }
client() { taskset -c 1 dotnet "$loadgen" "$@"; }
load() { cut -d' ' -f1 /proc/loadavg; }

pingpong() { # round build tree mode
  local t0 t1 t2 one fifty
  start_server "$3" "$4"
  t0=$(server_ticks); one=$(client pingpong "$port" 1 "$seconds"); t1=$(server_ticks)
  fifty=$(client pingpong "$port" 50 "$seconds"); t2=$(server_ticks)
  stop_server
  echo "round=$1 build=$2 server=$4 conns=1 $one server_ticks=$((t1 - t0)) load=$(load)"
  echo "round=$1 build=$2 server=$4 conns=50 $fifty server_ticks=$((t2 - t1)) load=$(load)"
}
bulk() { # round build tree mode
  local t0 t1 out
  start_server "$3" "$4"
  t0=$(server_ticks); out=$(client bulk "$port" "$bulk_mb"); t1=$(server_ticks)
  stop_server
  echo "round=$1 build=$2 server=$4 bulk $out server_ticks=$((t1 - t0)) load=$(load)"
}
tree() { if [ "$1" = before ]; then echo "$before"; else echo "$after"; fi; }

for round in $(seq 0 "$rounds"); do
  if [ $((round % 2)) -eq 0 ]; then order="before after"; else order="after before"; fi
  for mode in asynccore-echo asynccore-epoll-echo; do
    for b in $order; do pingpong "$round" "$b" "$(tree "$b")" "$mode"; done
  done
  for mode in asynccore-sink asynccore-epoll-sink; do
    for b in $order; do bulk "$round" "$b" "$(tree "$b")" "$mode"; done
  done
done
