#!/usr/bin/env bash
# TCP echo benchmark: 64-byte ping-pong with 1 and 50 connections, plus a 1 GiB bulk transfer.
# Each server is pinned to core 0 and the load generator to core 1 (taskset). Baselines run in the same session:
# Twisted's epoll echo server, and a raw System.Net.Sockets echo server with default settings and with
# DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1. AsyncCore always runs with default process settings.
# Usage: bash bench/run-echo.sh [SECONDS=10]   (prints a markdown table; raw lines go to stderr)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
seconds=${1:-10}
bulk_mb=${BULK_MB:-1024}
port=${PORT:-47001}
server_core=${SERVER_CORE:-0}
client_core=${CLIENT_CORE:-1}

dotnet build bench/AsyncCore.Net.Benchmarks -c Release -nologo -v:q >&2
dotnet build bench/loadgen -c Release -nologo -v:q >&2
servers=bench/AsyncCore.Net.Benchmarks/bin/Release/net10.0/AsyncCore.Net.Benchmarks.dll
loadgen=bench/loadgen/bin/Release/net10.0/loadgen.dll

wait_port() {
  for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "server did not listen on $port" >&2
  return 1
}

server_pid=
start_server() { # env-assignments... -- command...
  local envs=()
  while [ "$1" != "--" ]; do envs+=("$1"); shift; done
  shift
  env "${envs[@]}" taskset -c "$server_core" "$@" >/dev/null 2>&1 &
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
  DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1 taskset -c "$client_core" dotnet "$loadgen" "$@"
}

field() { sed -n "s/.*$1=\([^ ]*\).*/\1/p"; }

declare -A rows
pingpong() { # label env... -- command...
  local label=$1; shift
  start_server "$@"
  local one fifty
  one=$(client pingpong "$port" 1 "$seconds")
  fifty=$(client pingpong "$port" 50 "$seconds")
  echo "$label 1conn: $one" >&2
  echo "$label 50conn: $fifty" >&2
  stop_server
  rows[$label]="$(echo "$fifty" | field msgs_per_s) | $(echo "$fifty" | field p50_us) | $(echo "$fifty" | field p99_us) | $(echo "$one" | field msgs_per_s) | $(echo "$one" | field p50_us) | $(echo "$one" | field p99_us) | $(echo "$fifty" | field client_cpu_pct)"
}

declare -A bulk
bulkrun() { # label env... -- command...
  local label=$1; shift
  start_server "$@"
  local out
  out=$(client bulk "$port" "$bulk_mb")
  echo "$label bulk: $out" >&2
  stop_server
  bulk[$label]=$(echo "$out" | field mb_per_s)
}

pingpong "Twisted 22.4 epoll" X=1 -- /usr/bin/python3 bench/twisted_echo.py "$port"
pingpong "raw .NET (default)" X=1 -- dotnet "$servers" raw-echo "$port"
pingpong "raw .NET (inline completions)" DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1 -- dotnet "$servers" raw-echo "$port"
pingpong "AsyncCore (default settings)" X=1 -- dotnet "$servers" asynccore-echo "$port"
bulkrun "raw .NET (default)" X=1 -- dotnet "$servers" raw-sink "$port"
bulkrun "raw .NET (inline completions)" DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1 -- dotnet "$servers" raw-sink "$port"
bulkrun "AsyncCore (default settings)" X=1 -- dotnet "$servers" asynccore-sink "$port"

echo "| server (core $server_core) | 50 conn msg/s | p50 µs | p99 µs | 1 conn msg/s | p50 µs | p99 µs | loadgen CPU % (50 conn) |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
for label in "Twisted 22.4 epoll" "raw .NET (default)" "raw .NET (inline completions)" "AsyncCore (default settings)"; do
  echo "| $label | ${rows[$label]} |"
done
echo
echo "| bulk ${bulk_mb} MiB, one connection | MB/s |"
echo "|---|---:|"
for label in "raw .NET (default)" "raw .NET (inline completions)" "AsyncCore (default settings)"; do
  echo "| $label | ${bulk[$label]} |"
done
