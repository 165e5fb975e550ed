#!/usr/bin/env bash
# WebSocket echo benchmark (issue 14): 50 connections of ping-pong, 64-byte binary messages without compression and
# 4 KB text-like messages with permessage-deflate; AsyncCore.WebSockets against Kestrel WebSockets and Autobahn on
# Twisted, measured in the same run.
#
# Method (run-echo.sh's, from /work/shared/anchors' run-anchors.sh):
# * every server runs pinned to core 0 (taskset), the load generator to core 1; no nice;
# * all servers of a mode start at once (idle ones sleep), each gets an unrecorded warm-up load (SERVER_WARM s), then
#   each of ROUNDS rounds measures every server once, one after another (interleaved: drift of a shared machine hits
#   every server of a round alike);
# * every round is kept: min-max ranges over the rounds, never the best one, and per-round ratios to Kestrel;
# * beside msg/s: server CPU per message (µs; utime + stime of the server from /proc/PID/stat over the measured window,
#   read by the load generator) and the load generator's own CPU; a cell where the load generator used >= BUSY_PCT %
#   of its core in most rounds is flagged "client-bound".
# The load generator is bench/ws-anchors/wsloadgen (a copy of the anchors' loadgen, ClientWebSocket, with --deflate and
# --server-pid); Kestrel and Autobahn are copies of the anchors' with a switch to accept permessage-deflate.
#
# Usage: bash bench/run-ws.sh [SECONDS=5] [ROUNDS=5]     markdown tables on stdout, every measurement on stderr
# Environment: SERVER_WARM=5 (s), CLIENT_WARM=1 (s of unrecorded traffic per measurement), CONNS=50, MODES=plain,deflate,
#   ONLY=asynccore,kestrel,autobahn, PORT=47101, SERVER_CORE=0, CLIENT_CORE=1, BUSY_PCT=90, LOG=bench/results-ws-raw.log
# Time: about modes x servers x ROUNDS x (SECONDS + CLIENT_WARM + 2) + warm-ups; 5 s x 5 rounds: about 5 minutes.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
seconds=${1:-5}
rounds=${2:-5}
server_warm=${SERVER_WARM:-5}
client_warm=${CLIENT_WARM:-1}
conns=${CONNS:-50}
modes=${MODES:-plain,deflate}
base_port=${PORT:-47101}
server_core=${SERVER_CORE:-0}
client_core=${CLIENT_CORE:-1}
busy_pct=${BUSY_PCT:-90}
only=${ONLY:-asynccore,kestrel,autobahn}
log=${LOG:-bench/results-ws-raw.log}
py=${PY:-/usr/bin/python3}

"$py" -c 'import autobahn.twisted' 2>/dev/null || { echo "Autobahn missing: apt-get install -y python3-autobahn" >&2; exit 1; }
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
started=$(date -u '+%Y-%m-%d %H:%M UTC')
for p in bench/AsyncCore.WebSockets.Benchmarks bench/ws-anchors/wsloadgen bench/ws-anchors/KestrelWs; do
  dotnet build "$p" -c Release -nologo -v:q >&2
done
asynccore=bench/AsyncCore.WebSockets.Benchmarks/bin/Release/net10.0/AsyncCore.WebSockets.Benchmarks.dll
kestrel=bench/ws-anchors/KestrelWs/bin/Release/net10.0/KestrelWs.dll
loadgen=bench/ws-anchors/wsloadgen/bin/Release/net10.0/wsloadgen.dll
autobahn_version=$("$py" -c 'import autobahn; print(autobahn.__version__)')

# key|label|plain command|deflate command. PORT is replaced by the server's port.
catalog=(
  "asynccore|AsyncCore.WebSockets (default reactor)|dotnet $asynccore PORT|dotnet $asynccore PORT deflate"
  "kestrel|Kestrel WebSockets (ASP.NET Core $(dotnet --list-runtimes | awk '/AspNetCore.App 10/{print $2}' | tail -1))|dotnet $kestrel --urls http://127.0.0.1:PORT --mode ws --Logging:LogLevel:Default=Warning|dotnet $kestrel --urls http://127.0.0.1:PORT --mode ws --deflate true --Logging:LogLevel:Default=Warning"
  "autobahn|Autobahn $autobahn_version on Twisted (epoll)|$py bench/ws-anchors/autobahn_ws.py PORT|$py bench/ws-anchors/autobahn_ws.py PORT deflate"
)
keys=()
declare -A label plain_cmd deflate_cmd
for entry in "${catalog[@]}"; do
  IFS='|' read -r k l p d <<< "$entry"
  [[ ",$only," == *",$k,"* ]] || continue
  keys+=("$k"); label[$k]=$l; plain_cmd[$k]=$p; deflate_cmd[$k]=$d
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

: > "$log"
record() { echo "$*" >> "$log"; echo "$*" >&2; }
record "# run-ws.sh $seconds s x $rounds rounds, $conns connections, started $started, load average $load_before, $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), .NET $(dotnet --version)"

m=0
for mode in ${modes//,/ }; do
  if [ "$mode" = deflate ]; then size=4096; extra=(--deflate); else size=64; extra=(); fi
  i=0
  for k in "${keys[@]}"; do
    p=$((base_port + 10 * m + i))
    if [ "$mode" = deflate ]; then cmd=${deflate_cmd[$k]}; else cmd=${plain_cmd[$k]}; fi
    start "$k" "$p" ${cmd//PORT/$p}
    i=$((i + 1))
  done
  for k in "${keys[@]}"; do
    echo "warm-up ${label[$k]}, $mode (${server_warm} s)" >&2
    client ws --url "ws://127.0.0.1:${port[$k]}/ws" -c "$conns" -s "$size" -d "$server_warm" -w 0 "${extra[@]}" > /dev/null
  done
  for r in $(seq 1 "$rounds"); do
    for k in "${keys[@]}"; do
      out=$(client ws --url "ws://127.0.0.1:${port[$k]}/ws" -c "$conns" -s "$size" -d "$seconds" -w "$client_warm" --server-pid "${pid[$k]}" "${extra[@]}" | tr '\n' ' ')
      record "ws round=$r mode=$mode key=$k $out"
    done
  done
  stop_all
  m=$((m + 1))
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
record "# finished $(date -u '+%Y-%m-%d %H:%M UTC'), load average $load_after"

labels=()
for k in "${keys[@]}"; do labels+=("$k=${label[$k]}"); done
"$py" - "$log" "$busy_pct" "$seconds" "$rounds" "$load_before" "$load_after" "$started" "$server_warm" "$conns" "${labels[@]}" <<'EOF'
import re, sys
from collections import defaultdict
path, busy, seconds, rounds, before, after, started, warm, conns = sys.argv[1:10]
labels = dict(a.split("=", 1) for a in sys.argv[10:])
busy = float(busy)
cells = defaultdict(dict)   # (mode, key) -> round -> fields
for line in open(path):
    if line.startswith("ws "):
        f = dict(re.findall(r"(\w+)=(\S+)", line))
        cells[(f["mode"], f["key"])][int(f["round"])] = f

def rng(values, fmt="{:,.0f}"):
    values = [v for v in values if v is not None]
    if not values:
        return "n/a"
    lo, hi = min(values), max(values)
    return fmt.format(lo) if fmt.format(lo) == fmt.format(hi) else fmt.format(lo) + "-" + fmt.format(hi)

def col(mode, key, name):
    return [float(r[name]) if name in r else None for r in cells[(mode, key)].values()]

def ratios(mode, key, base):
    rs = []
    for rnd, r in cells[(mode, key)].items():
        b = cells[(mode, base)].get(rnd)
        if b and float(b["msgs_per_s"]) > 0:
            rs.append(float(r["msgs_per_s"]) / float(b["msgs_per_s"]))
    return rs

print(f"{rounds} interleaved rounds of {seconds} s per cell after a {warm} s warm-up of every server; {conns} connections, "
      f"one message in flight each; started {started}; load average before {before}, after {after} (shared machine). "
      f"Ranges are min-max over the rounds; ratios are per round against Kestrel in the same round.")
print()
titles = {"plain": "64-byte binary messages, no compression", "deflate": "4 KB text-like messages, permessage-deflate"}
for mode in ("plain", "deflate"):
    if not any(m == mode for m, _ in cells):
        continue
    print(f"**{titles[mode]}**")
    print()
    print("| server (core 0) | msg/s | x Kestrel (per round) | p50 µs | p99 µs | server CPU µs/msg | server CPU % | loadgen CPU % |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for key, label in labels.items():
        if (mode, key) not in cells:
            continue
        client = col(mode, key, "client_cpu_pct")
        bound = sum(1 for c in client if c is not None and c >= busy)
        flag = f" **client-bound** ({bound}/{len(client)})" if bound * 2 > len(client) else ""
        rs = ratios(mode, key, "kestrel")
        per_round = " (" + ", ".join(f"{x:.2f}" for x in rs) + ")" if rs and key != "kestrel" else ""
        print(f"| {label} | {rng(col(mode, key, 'msgs_per_s'))} | {'1' if key == 'kestrel' else rng(rs, '{:.2f}x') + per_round} "
              f"| {rng(col(mode, key, 'p50_us'))} | {rng(col(mode, key, 'p99_us'))} "
              f"| {rng(col(mode, key, 'server_us_per_msg'), '{:.1f}')} | {rng(col(mode, key, 'server_cpu_pct'))} "
              f"| {rng(client)}{flag} |")
    print()
EOF
