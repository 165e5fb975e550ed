#!/usr/bin/env bash
# TCP echo benchmark: 64-byte ping-pong with 1 and 50 connections, plus a 1 GiB bulk transfer.
#
# Method (the same as /work/shared/anchors' run-anchors.sh, which this copies):
# * every server runs pinned to core 0 (taskset), the load generator (bench/loadgen) to core 1; no nice;
# * all servers of a group start at once (idle ones sleep), each gets an unrecorded warm-up load (SERVER_WARM s, so JIT
#   tiers and dynamic PGO settle), then each of ROUNDS rounds measures every server once, one after another: slow drift
#   of a shared machine hits every server of a round alike;
# * every round is kept: the tables give min-max ranges over the rounds, never the best round, and per-round ratios to
#   raw .NET with default settings (same round, so same conditions);
# * beside msg/s: server CPU per message (µs; utime + stime from /proc/PID/stat over the measured window, read by the
#   load generator itself at the window's start and end) and the load generator's own CPU; a cell where the load
#   generator used >= BUSY_PCT % of its core in most rounds is flagged "client-bound" (it measures the client).
#
# Servers: Twisted (epoll reactor, TCP_NODELAY), raw System.Net.Sockets with default settings and with
# DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1, AsyncCore EventLoopReactor (default adaptive spin before sleep;
# ONLY=...,eventloop-nospin adds it without), and AsyncCore EpollReactor with its default adaptive polling before sleep
# and with polling off (ReactorOptions.SpinBeforeSleep). AsyncCore runs with default process settings.
#
# Usage: bash bench/run-echo.sh [SECONDS=5] [ROUNDS=5]      markdown tables on stdout, every measurement on stderr
# Environment: SERVER_WARM=5 (s), CLIENT_WARM=1 (s of unrecorded traffic per measurement, after connecting),
#   BULK_MB=1024 (0: no bulk), ONLY=key,key (servers to run: twisted,raw,raw-inline,eventloop,eventloop-nospin,epoll,
#   epoll-nospin,epoll-always), PORT=47001 (first port), SERVER_CORE=0, CLIENT_CORE=1, BUSY_PCT=90, LOG=file (raw lines, default
#   bench/results-net-raw.log).
# Time: about (servers x 2 x ROUNDS x (SECONDS + CLIENT_WARM + 1)) + bulk; 5 s x 5 rounds: about 8 minutes.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
seconds=${1:-5}
rounds=${2:-5}
server_warm=${SERVER_WARM:-5}
client_warm=${CLIENT_WARM:-1}
bulk_mb=${BULK_MB:-1024}
base_port=${PORT:-47001}
server_core=${SERVER_CORE:-0}
client_core=${CLIENT_CORE:-1}
busy_pct=${BUSY_PCT:-90}
only=${ONLY:-twisted,raw,raw-inline,eventloop,epoll,epoll-nospin}
log=${LOG:-bench/results-net-raw.log}
py=${PY:-/usr/bin/python3}

"$py" -c 'import twisted' 2>/dev/null || { echo "Twisted missing: apt-get install -y python3-twisted" >&2; exit 1; }
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
started=$(date -u '+%Y-%m-%d %H:%M UTC')
dotnet build bench/AsyncCore.Net.Benchmarks -c Release -nologo -v:q >&2
dotnet build bench/loadgen -c Release -nologo -v:q >&2
servers=bench/AsyncCore.Net.Benchmarks/bin/Release/net10.0/AsyncCore.Net.Benchmarks.dll
loadgen=bench/loadgen/bin/Release/net10.0/loadgen.dll

# key|label|echo command|sink command (empty: no bulk for this server). PORT is replaced by the server's port.
catalog=(
  "twisted|Twisted $("$py" -c 'import twisted; print(twisted.__version__)') epoll|$py bench/twisted_echo.py PORT|"
  "raw|raw .NET (default)|dotnet $servers raw-echo PORT|dotnet $servers raw-sink PORT"
  "raw-inline|raw .NET (inline completions)|env DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1 dotnet $servers raw-echo PORT|env DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1 dotnet $servers raw-sink PORT"
  "eventloop|AsyncCore EventLoopReactor|dotnet $servers asynccore-echo PORT|dotnet $servers asynccore-sink PORT"
  "eventloop-nospin|AsyncCore EventLoopReactor (no spin)|dotnet $servers asynccore-echo PORT never|dotnet $servers asynccore-sink PORT never"
  "epoll|AsyncCore EpollReactor (adaptive spin, default)|dotnet $servers asynccore-epoll-echo PORT adaptive|dotnet $servers asynccore-epoll-sink PORT adaptive"
  "epoll-nospin|AsyncCore EpollReactor (no spin)|dotnet $servers asynccore-epoll-echo PORT never|dotnet $servers asynccore-epoll-sink PORT never"
  "epoll-always|AsyncCore EpollReactor (always spin)|dotnet $servers asynccore-epoll-echo PORT always|dotnet $servers asynccore-epoll-sink PORT always"
)
keys=()
declare -A label echo_cmd sink_cmd
for entry in "${catalog[@]}"; do
  IFS='|' read -r k l e s <<< "$entry"
  [[ ",$only," == *",$k,"* ]] || continue
  keys+=("$k"); label[$k]=$l; echo_cmd[$k]=$e; sink_cmd[$k]=$s
done

declare -A pid port
stop_all() {
  local k
  for k in "${!pid[@]}"; do kill "${pid[$k]}" 2>/dev/null || true; done
  for k in "${!pid[@]}"; do wait "${pid[$k]}" 2>/dev/null || true; done
  pid=()
}
trap stop_all EXIT

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
start() { # key port command...
  local k=$1 p=$2; shift 2
  if port_open "$p"; then echo "port $p already in use" >&2; exit 1; fi
  # taskset and env exec the command, so $! is the server process itself (its /proc/PID/stat is the server's CPU).
  taskset -c "$server_core" "$@" >/dev/null 2>&1 &
  pid[$k]=$!; port[$k]=$p
  for _ in $(seq 300); do port_open "$p" && return 0; sleep 0.1; done
  echo "server $k did not listen on $p" >&2; exit 1
}
client() { timeout 120 taskset -c "$client_core" dotnet "$loadgen" "$@"; }
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

: > "$log"
record() { echo "$*" >> "$log"; echo "$*" >&2; }
record "# run-echo.sh $seconds s x $rounds rounds, started $started, load average $load_before, $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), .NET $(dotnet --version)"

# ---- ping-pong: all servers at once, warm-up, interleaved rounds
i=0
for k in "${keys[@]}"; do start "$k" $((base_port + i)) ${echo_cmd[$k]//PORT/$((base_port + i))}; i=$((i + 1)); done
for k in "${keys[@]}"; do
  echo "warm-up ${label[$k]} (${server_warm} s)" >&2
  client pingpong "${port[$k]}" 50 "$server_warm" 64 0 > /dev/null
done
for r in $(seq 1 "$rounds"); do
  for k in "${keys[@]}"; do
    for c in 50 1; do
      out=$(client pingpong "${port[$k]}" "$c" "$seconds" 64 "$client_warm" "${pid[$k]}")
      record "echo round=$r key=$k conns=$c $out"
    done
  done
done
stop_all

# ---- bulk: the sinks, the same way (warm-up: one 256 MiB transfer each)
if [ "$bulk_mb" -gt 0 ]; then
  i=0
  for k in "${keys[@]}"; do
    [ -n "${sink_cmd[$k]}" ] || continue
    start "$k" $((base_port + 20 + i)) ${sink_cmd[$k]//PORT/$((base_port + 20 + i))}; i=$((i + 1))
  done
  for k in "${!pid[@]}"; do client bulk "${port[$k]}" 256 > /dev/null; done
  for r in $(seq 1 "$rounds"); do
    for k in "${keys[@]}"; do
      [ -n "${pid[$k]:-}" ] || continue
      t0=$(ticks "${pid[$k]}")
      out=$(client bulk "${port[$k]}" "$bulk_mb")
      t1=$(ticks "${pid[$k]}")
      record "bulk round=$r key=$k $out server_cpu_s=$(awk -v d=$((t1 - t0)) 'BEGIN{printf "%.2f", d / 100}')"
    done
  done
  stop_all
fi
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
record "# finished $(date -u '+%Y-%m-%d %H:%M UTC'), load average $load_after"

# ---- tables
labels=()
for k in "${keys[@]}"; do labels+=("$k=${label[$k]}"); done
"$py" - "$log" "$busy_pct" "$seconds" "$rounds" "$load_before" "$load_after" "$started" "$server_warm" "${labels[@]}" <<'EOF'
import re, sys
from collections import defaultdict
path, busy, seconds, rounds, before, after, started, warm = sys.argv[1:9]
labels = dict(a.split("=", 1) for a in sys.argv[9:])
busy = float(busy)
echo = defaultdict(dict)   # (key, conns) -> round -> fields
bulk = defaultdict(dict)   # key -> round -> fields
for line in open(path):
    if line.startswith("#"):
        continue
    f = dict(re.findall(r"(\w+)=(\S+)", line))
    if line.startswith("echo "):
        echo[(f["key"], int(f["conns"]))][int(f["round"])] = f
    elif line.startswith("bulk "):
        bulk[f["key"]][int(f["round"])] = f

def rng(values, fmt="{:,.0f}"):
    values = [v for v in values if v is not None]
    if not values:
        return "n/a"
    lo, hi = min(values), max(values)
    return fmt.format(lo) if fmt.format(lo) == fmt.format(hi) else fmt.format(lo) + "-" + fmt.format(hi)

def col(key, conns, name):
    return [float(r[name]) if name in r else None for r in echo[(key, conns)].values()]

def ratio(key, conns, base="raw", name="msgs_per_s"):
    rs = []
    for rnd, r in echo[(key, conns)].items():
        b = echo[(base, conns)].get(rnd)
        if b and float(b[name]) > 0:
            rs.append(float(r[name]) / float(b[name]))
    return rng(rs, "{:.2f}x") if rs else "n/a"

print(f"{rounds} interleaved rounds of {seconds} s per cell after a {warm} s warm-up of every server; started {started}; "
      f"load average before {before}, after {after}. Ranges are min-max over the rounds; ratios are per round against "
      f"raw .NET (default) in the same round.")
print()
for conns in (50, 1):
    print(f"**{conns} connection{'s' if conns > 1 else ''}, 64-byte ping-pong**")
    print()
    print("| server (core 0) | msg/s | x raw default | p50 µs | p99 µs | server CPU µs/msg | server CPU % | loadgen CPU % |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for key, label in labels.items():
        if (key, conns) not in echo:
            continue
        client = col(key, conns, "client_cpu_pct")
        bound = sum(1 for c in client if c is not None and c >= busy)
        flag = f" **client-bound** ({bound}/{len(client)})" if bound * 2 > len(client) else ""
        print(f"| {label} | {rng(col(key, conns, 'msgs_per_s'))} | {ratio(key, conns) if key != 'raw' else '1'} "
              f"| {rng(col(key, conns, 'p50_us'))} | {rng(col(key, conns, 'p99_us'))} "
              f"| {rng(col(key, conns, 'server_us_per_msg'), '{:.1f}')} | {rng(col(key, conns, 'server_cpu_pct'))} "
              f"| {rng(client)}{flag} |")
    print()
if bulk:
    print(f"**bulk, 1 connection, one transfer per round**")
    print()
    print("| server (core 0) | MB/s | x raw default | server CPU s per transfer | loadgen CPU % |")
    print("|---|---:|---:|---:|---:|")
    for key, label in labels.items():
        if key not in bulk:
            continue
        rows = bulk[key]
        rs = [float(r["mb_per_s"]) / float(bulk["raw"][n]["mb_per_s"]) for n, r in rows.items() if n in bulk.get("raw", {})]
        print(f"| {label} | {rng([float(r['mb_per_s']) for r in rows.values()])} "
              f"| {rng(rs, '{:.2f}x') if key != 'raw' else '1'} | {rng([float(r['server_cpu_s']) for r in rows.values()], '{:.2f}')} "
              f"| {rng([float(r['client_cpu_pct']) for r in rows.values()])} |")
EOF
