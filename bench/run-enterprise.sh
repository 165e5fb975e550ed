#!/usr/bin/env bash
# The ConnectionPool benchmark in the three setups bench/README-enterprise.md reports, in one go:
#   1. both cores shared by everything (the pool's threads, direct ADO.NET's threads, PostgreSQL's backends);
#   2. one core for the whole benchmark (taskset -c 0): how the issue's reference numbers were measured;
#   3. PostgreSQL on core 1 and the benchmark on core 0, as if the server were another host;
# then Twisted's adbapi as the anchor (all cores shared), when python3-twisted and python3-psycopg2 are installed.
# Usage: bash bench/run-enterprise.sh [seconds per run=5] [rounds=5]   (needs taskset; starts the servers itself)
# 5 s cells: with 1 s cells the same runner moved up to 3.5x between runs (issue 17).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-5}
rounds=${2:-5}
eval "$(bash eng/services.sh start)"
dotnet build -c Release bench/AsyncCore.Enterprise.Benchmarks -nologo -v q >/dev/null
bin=bench/AsyncCore.Enterprise.Benchmarks/bin/Release/net10.0/AsyncCore.Enterprise.Benchmarks.dll

pin_postgres() {
    # New backends inherit the postmaster's mask; running ones are moved too.
    for pid in $(pgrep -x postgres); do taskset -a -p "$1" "$pid" >/dev/null; done
}
all_cores=$(printf "%x" $(( (1 << $(nproc)) - 1 )))
trap 'pin_postgres "$all_cores"' EXIT

echo "### 1. All cores shared"
dotnet "$bin" "$seconds" all "$rounds" 2>&1 | grep '^|'
echo
echo "### 2. One core (taskset -c 0)"
taskset -c 0 dotnet "$bin" "$seconds" sqlite "$rounds" 2>&1 | grep '^|'
echo
echo "### 3. PostgreSQL on core 1, the benchmark on core 0"
pin_postgres 2
taskset -c 0 dotnet "$bin" "$seconds" pg "$rounds" 2>&1 | grep '^|'
echo
echo "### Twisted adbapi anchor (all cores shared)"
pin_postgres "$all_cores"
if /usr/bin/python3 -c "import twisted, psycopg2" 2>/dev/null; then
    # adbapi with as many SQLite threads as the pool of setup 1 (Max = the cores), each cell min-max over the rounds.
    /usr/bin/python3 bench/adbapi_anchor.py "$seconds" "$rounds" "$(nproc)" 2>&1 | grep '^|'
else
    echo "(skipped: apt-get install -y python3-twisted python3-psycopg2)"
fi
