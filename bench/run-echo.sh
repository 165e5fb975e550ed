#!/usr/bin/env bash
# TCP echo benchmark: 64-byte ping-pong with 1 and 50 connections, plus a 1 GiB bulk transfer.
# Each server is pinned to core 0 and the load generator to core 1 (taskset). Baselines run in the same session:
# Twisted's epoll echo server, and a raw System.Net.Sockets echo server with default settings and with
# DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1. AsyncCore always runs with default process settings.
# The machine may be shared: every configuration runs ROUNDS times (interleaved, so a busy spell hits all of them alike)
# and the table keeps each configuration's best round (its msg/s with that round's latencies); all rounds go to stderr.
# Usage: bash bench/run-echo.sh [SECONDS=10] [ROUNDS=3]   (prints markdown tables on stdout)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
seconds=${1:-10}
rounds=${2:-3}
bulk_mb=${BULK_MB:-1024}
port=${PORT:-47001}
server_core=${SERVER_CORE:-0}
client_core=${CLIENT_CORE:-1}
# On a shared machine other jobs compete for the two cores; a raised priority (the same for every configuration) keeps
# them from dominating the measurement. NICE= (empty) turns it off.
nice_level=${NICE--20}
prio() { if [ -n "$nice_level" ]; then nice -n "$nice_level" "$@"; else "$@"; fi; }

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
dotnet build bench/AsyncCore.Net.Benchmarks -c Release -nologo -v:q >&2
dotnet build bench/loadgen -c Release -nologo -v:q >&2
servers=bench/AsyncCore.Net.Benchmarks/bin/Release/net10.0/AsyncCore.Net.Benchmarks.dll
loadgen=bench/loadgen/bin/Release/net10.0/loadgen.dll

quiet_max=${QUIET_MAX:-120}
# shellcheck source=echo-lib.sh
source "$root/bench/echo-lib.sh"

server_pid=
start_server() { # env-assignments... -- command...
  local envs=()
  while [ "$1" != "--" ]; do envs+=("$1"); shift; done
  shift
  wait_quiet
  env "${envs[@]}" nice -n "${nice_level:-0}" taskset -c "$server_core" "$@" >/dev/null 2>&1 &
  server_pid=$!
  wait_port
}

stop_server() {
  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=
  sleep 0.5
}

trap 'if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; fi' EXIT

client() {
  prio taskset -c "$client_core" dotnet "$loadgen" "$@"
}

declare -A best1 best50
better() { # new-line old-line: true when new has more msg/s
  [ -z "$2" ] && return 0
  [ "$(echo "$1" | field msgs_per_s)" -gt "$(echo "$2" | field msgs_per_s)" ]
}
pingpong() { # label env... -- command...
  local label=$1; shift
  start_server "$@"
  local one fifty
  local t0 t1 t2
  t0=$(server_ticks)
  one=$(client pingpong "$port" 1 "$seconds")
  t1=$(server_ticks)
  fifty=$(client pingpong "$port" 50 "$seconds")
  t2=$(server_ticks)
  # Server CPU per message (includes the warm-up messages, which total_msgs counts too): robust against a busy machine.
  one="$one server_us_per_msg=$(( (t1 - t0) * 10000 / $(echo "$one" | field total_msgs) ))"
  fifty="$fifty server_us_per_msg=$(( (t2 - t1) * 10000 / $(echo "$fifty" | field total_msgs) ))"
  echo "round $round | $label | 1 conn: $one" >&2
  echo "round $round | $label | 50 conn: $fifty" >&2
  stop_server
  if better "$one" "${best1[$label]:-}"; then best1[$label]=$one; fi
  if better "$fifty" "${best50[$label]:-}"; then best50[$label]=$fifty; fi
}
row() {
  local one=${best1[$1]} fifty=${best50[$1]}
  echo "$(echo "$fifty" | field msgs_per_s) | $(echo "$fifty" | field p50_us) | $(echo "$fifty" | field p99_us) | $(echo "$fifty" | field server_us_per_msg) | $(echo "$one" | field msgs_per_s) | $(echo "$one" | field p50_us) | $(echo "$one" | field p99_us) | $(echo "$one" | field server_us_per_msg) | $(echo "$fifty" | field client_cpu_pct)"
}

declare -A bulk
bulkrun() { # label env... -- command...
  local label=$1; shift
  start_server "$@"
  local out
  out=$(client bulk "$port" "$bulk_mb")
  echo "round $round | $label | bulk: $out" >&2
  stop_server
  local mb
  mb=$(echo "$out" | field mb_per_s)
  if [ -z "${bulk[$label]:-}" ] || [ "$mb" -gt "${bulk[$label]}" ]; then bulk[$label]=$mb; fi
}

for round in $(seq 1 "$rounds"); do
pingpong "Twisted 22.4 epoll" X=1 -- /usr/bin/python3 bench/twisted_echo.py "$port"
pingpong "raw .NET (default)" X=1 -- dotnet "$servers" raw-echo "$port"
pingpong "raw .NET (inline completions)" DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1 -- dotnet "$servers" raw-echo "$port"
pingpong "AsyncCore EventLoopReactor (default settings)" X=1 -- dotnet "$servers" asynccore-echo "$port"
pingpong "AsyncCore EpollReactor (default settings)" X=1 -- dotnet "$servers" asynccore-epoll-echo "$port"
bulkrun "raw .NET (default)" X=1 -- dotnet "$servers" raw-sink "$port"
bulkrun "raw .NET (inline completions)" DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1 -- dotnet "$servers" raw-sink "$port"
bulkrun "AsyncCore EventLoopReactor (default settings)" X=1 -- dotnet "$servers" asynccore-sink "$port"
bulkrun "AsyncCore EpollReactor (default settings)" X=1 -- dotnet "$servers" asynccore-epoll-sink "$port"
done

echo "Best of $rounds rounds of ${seconds} s, $(nproc) cores, nice ${nice_level:-0}, load average before: $load_before"
echo
echo "| server (core $server_core) | 50 conn msg/s | p50 µs | p99 µs | server CPU µs/msg | 1 conn msg/s | p50 µs | p99 µs | server CPU µs/msg | loadgen CPU % (50 conn) |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for label in "Twisted 22.4 epoll" "raw .NET (default)" "raw .NET (inline completions)" "AsyncCore EventLoopReactor (default settings)" "AsyncCore EpollReactor (default settings)"; do
  echo "| $label | $(row "$label") |"
done
echo
echo "| bulk ${bulk_mb} MiB, one connection | MB/s |"
echo "|---|---:|"
for label in "raw .NET (default)" "raw .NET (inline completions)" "AsyncCore EventLoopReactor (default settings)" "AsyncCore EpollReactor (default settings)"; do
  echo "| $label | ${bulk[$label]} |"
done
