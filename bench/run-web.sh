#!/usr/bin/env bash
# HTTP benchmark: "hello" through a Resource, wrk -t1 -c50, AsyncCore.Web vs Kestrel minimal API vs twisted.web in the
# same run; the same with keep-alive off (wrk -H 'Connection: close'); and a 10 KB Liquid page (AsyncCore.Web vs
# Kestrel rendering the same template with the same Fluid engine; twisted.web has no page anchor).
#
# Method (as bench/run-echo.sh): every server pinned to core 0 (taskset), wrk to core 1; all servers start at once
# (idle ones sleep); each URL gets an unrecorded warm-up (SERVER_WARM s) so JIT tiers and dynamic PGO settle; then each
# of ROUNDS rounds measures every cell once, one after another, so slow drift of a shared machine hits every server of
# a round alike. Every round is kept: min-max over rounds, and per-round ratios to Kestrel (same round). Beside req/s:
# the server's CPU per request (utime + stime from /proc/PID/stat over the window) and wrk's own CPU share of its core;
# a cell where wrk used >= BUSY_PCT % of its core in most rounds is flagged client-bound.
#
# Servers: bench/AsyncCore.Web.Benchmarks (asynccore: default reactor, no access log; kestrel-page), the shared anchors
# /work/shared/anchors/anchors/KestrelApp (copied and built in a temporary directory, the anchor tree is read-only) and
# twisted_web.py (Debian's python3-twisted, epoll reactor, access log off).
#
# Usage: bash bench/run-web.sh [SECONDS=10] [ROUNDS=5]     markdown tables on stdout, raw lines on stderr and in LOG
# Environment: SERVER_WARM=5, PORT=47101 (first port), SERVER_CORE=0, CLIENT_CORE=1, BUSY_PCT=90,
#   ANCHORS=/work/shared/anchors/anchors, LOG=bench/results-web-raw.log
# Time: ROUNDS x 8 cells x (SECONDS + 1) + warm-up; 10 s x 5 rounds: about 8 minutes.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
seconds=${1:-10}
rounds=${2:-5}
server_warm=${SERVER_WARM:-5}
base_port=${PORT:-47101}
server_core=${SERVER_CORE:-0}
client_core=${CLIENT_CORE:-1}
busy_pct=${BUSY_PCT:-90}
anchors=${ANCHORS:-/work/shared/anchors/anchors}
log=${LOG:-bench/results-web-raw.log}
py=${PY:-/usr/bin/python3}

command -v wrk >/dev/null || { echo "wrk missing: apt-get install -y wrk" >&2; exit 1; }
"$py" -c 'import twisted' 2>/dev/null || { echo "Twisted missing: apt-get install -y python3-twisted" >&2; exit 1; }
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
started=$(date -u '+%Y-%m-%d %H:%M UTC')

work=$(mktemp -d /tmp/run-web.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

dotnet build bench/AsyncCore.Web.Benchmarks -c Release -nologo -v:q >&2
cp -r "$anchors/KestrelApp" "$work/KestrelApp"
chmod -R u+w "$work/KestrelApp"
cp /work/shared/anchors/Directory.Build.props "$work/" 2>/dev/null || true
dotnet build "$work/KestrelApp" -c Release -nologo -v:q -o "$work/kestrel-bin" >&2
acw=bench/AsyncCore.Web.Benchmarks/bin/Release/net10.0/AsyncCore.Web.Benchmarks.dll

# key|port|command
p_acw=$base_port; p_kestrel=$((base_port + 1)); p_twisted=$((base_port + 2)); p_kpage=$((base_port + 3))
start() { # key port command...
  local key=$1 port=$2; shift 2
  taskset -c "$server_core" "$@" >"$work/$key.out" 2>&1 &
  pids+=($!)
  eval "pid_$key=$!"
  for _ in $(seq 1 200); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "$key did not listen on $port" >&2; cat "$work/$key.out" >&2; exit 1
}
start acw "$p_acw" dotnet "$acw" asynccore "$p_acw"
start kestrel "$p_kestrel" dotnet "$work/kestrel-bin/KestrelApp.dll" --urls "http://127.0.0.1:$p_kestrel"
start twisted "$p_twisted" "$py" "$anchors/twisted_web.py" "$p_twisted"
start kpage "$p_kpage" dotnet "$acw" kestrel-page "$p_kpage"

# cell|server|pid var|url|extra wrk args
cells=(
  "hello|asynccore|pid_acw|http://127.0.0.1:$p_acw/|"
  "hello|kestrel|pid_kestrel|http://127.0.0.1:$p_kestrel/|"
  "hello|twisted|pid_twisted|http://127.0.0.1:$p_twisted/|"
  "close|asynccore|pid_acw|http://127.0.0.1:$p_acw/|-H Connection:close"
  "close|kestrel|pid_kestrel|http://127.0.0.1:$p_kestrel/|-H Connection:close"
  "close|twisted|pid_twisted|http://127.0.0.1:$p_twisted/|-H Connection:close"
  "page|asynccore|pid_acw|http://127.0.0.1:$p_acw/page|"
  "page|kestrel|pid_kpage|http://127.0.0.1:$p_kpage/page|"
)

ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

measure() { # cell server pidvar url extra duration round
  local cell=$1 server=$2 pidvar=$3 url=$4 extra=$5 duration=$6 round=$7
  local pid=${!pidvar}
  local before after out
  before=$(ticks "$pid")
  # shellcheck disable=SC2086
  out=$( { /usr/bin/time -f 'WRKCPU %U %S' taskset -c "$client_core" wrk -t1 -c50 -d"${duration}s" $extra "$url"; } 2>&1 )
  after=$(ticks "$pid")
  local rps requests errors wrkcpu
  rps=$(sed -n 's/^Requests\/sec:[[:space:]]*\([0-9.]*\).*/\1/p' <<<"$out")
  requests=$(sed -n 's/^[[:space:]]*\([0-9]*\) requests in.*/\1/p' <<<"$out")
  errors=$(sed -n 's/.*Non-2xx or 3xx responses: \([0-9]*\).*/\1/p; s/.*Socket errors: \(.*\)/\1/p' <<<"$out" | tr '\n' ' ')
  wrkcpu=$(awk '/^WRKCPU/ {print $2 + $3}' <<<"$out")
  echo "round=$round cell=$cell server=$server rps=${rps:-0} requests=${requests:-0} server_ticks=$((after - before)) wrk_cpu_s=${wrkcpu:-0} seconds=$duration errors=${errors// /_}"
}

echo "# run-web.sh $started seconds=$seconds rounds=$rounds load_before=$load_before" | tee -a "$log" >&2
for c in "${cells[@]}"; do
  IFS='|' read -r cell server pidvar url extra <<<"$c"
  measure "$cell" "$server" "$pidvar" "$url" "$extra" "$server_warm" warm >/dev/null
done
results="$work/results.txt"
for r in $(seq 1 "$rounds"); do
  for c in "${cells[@]}"; do
    IFS='|' read -r cell server pidvar url extra <<<"$c"
    measure "$cell" "$server" "$pidvar" "$url" "$extra" "$seconds" "$r" | tee -a "$results" "$log" >&2
  done
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

"$py" - "$results" "$busy_pct" "$started" "$load_before" "$load_after" "$(nproc)" <<'EOF'
import re, sys, collections
path, busy, started, before, after, nproc = sys.argv[1], float(sys.argv[2]), *sys.argv[3:]
rows = [dict(kv.split("=", 1) for kv in line.split()) for line in open(path) if line.startswith("round=")]
by = collections.defaultdict(list)
for row in rows:
    by[(row["cell"], row["server"])].append(row)
titles = {"hello": '"hello", keep-alive (wrk -t1 -c50)', "close": '"hello", keep-alive off (-H "Connection: close")',
          "page": "10 KB Liquid page (Fluid), keep-alive"}
print(f"Run {started}, {nproc} cores (shared machine), load average before {before}, after {after}.\n")
for cell in ["hello", "close", "page"]:
    servers = [s for (c, s) in by if c == cell]
    if not servers:
        continue
    print(f"**{titles[cell]}**\n")
    print("| server | req/s (min-max) | ratio to Kestrel per round (min-max) | server CPU µs/req (min-max) | wrk CPU % of its core | note |")
    print("|---|---|---|---|---|---|")
    kestrel = {r["round"]: float(r["rps"]) for r in by.get((cell, "kestrel"), [])}
    for server in servers:
        runs = by[(cell, server)]
        rps = [float(r["rps"]) for r in runs]
        cpu = [int(r["server_ticks"]) * 10000 / max(int(r["requests"]), 1) for r in runs]
        wrk = [100 * float(r["wrk_cpu_s"]) / float(r["seconds"]) for r in runs]
        ratios = [float(r["rps"]) / kestrel[r["round"]] for r in runs if kestrel.get(r["round"])]
        bound = sum(w >= busy for w in wrk) > len(wrk) / 2
        errors = sorted({r["errors"] for r in runs if r["errors"].strip("_")})
        note = ("client-bound; " if bound else "") + ("errors: " + ", ".join(errors) if errors else "")
        ratio = f"{min(ratios):.2f}-{max(ratios):.2f}x" if ratios else "-"
        print(f"| {server} | {min(rps):,.0f}-{max(rps):,.0f} | {ratio} | {min(cpu):.0f}-{max(cpu):.0f} | {min(wrk):.0f}-{max(wrk):.0f} | {note} |")
    print()
EOF
