"""Twisted adbapi anchor for bench/README-enterprise.md: RunQuery throughput at N calls in flight.

    /usr/bin/python3 bench/adbapi_anchor.py [seconds] [rounds] [sqlite pool size]
    (Debian python3-twisted, python3-psycopg2)

SQLite always; PostgreSQL too when ASYNCCORE_PG is set (key=value connection string, as the .NET benchmarks use).
The SQLite pool has as many threads as AsyncCore's pool it is compared with (its Max: the machine's cores by default;
adbapi's own default, cp_max=5, would give it more threads than the pool it is measured against). Every cell runs
`rounds` times after a warm-up and is reported as min-max.
"""
import os, sqlite3, sys, tempfile, time
from twisted.enterprise import adbapi
from twisted.internet import defer, reactor, task

SECONDS = float(sys.argv[1]) if len(sys.argv) > 1 else 5.0
ROUNDS = int(sys.argv[2]) if len(sys.argv) > 2 else 5
SQLITE_POOL = int(sys.argv[3]) if len(sys.argv) > 3 else os.cpu_count()
QUERIES = [("SELECT 1", "SELECT 1"), ("10-row select", "SELECT id, name FROM bench_rows ORDER BY id LIMIT 10")]


def setup(pool):
    def create(txn):
        txn.execute("DROP TABLE IF EXISTS bench_rows")
        txn.execute("CREATE TABLE bench_rows (id INTEGER PRIMARY KEY, name VARCHAR(50))")
        for i in range(100):
            txn.execute("INSERT INTO bench_rows VALUES (%d, 'name %d')" % (i, i))
    return pool.runInteraction(create)


def measure(pool, sql, in_flight, seconds):
    done = defer.Deferred()
    state = {"count": 0, "outstanding": 0, "start": time.perf_counter()}

    def issue():
        state["outstanding"] += 1
        pool.runQuery(sql).addCallbacks(finished, done.errback)

    def finished(rows):
        state["outstanding"] -= 1
        state["count"] += 1
        if time.perf_counter() - state["start"] < seconds:
            issue()
        elif state["outstanding"] == 0:
            done.callback(state["count"] / (time.perf_counter() - state["start"]))

    for _ in range(in_flight):
        issue()
    return done


@defer.inlineCallbacks
def main():
    targets = []
    path = os.path.join(tempfile.mkdtemp(), "anchor.db")
    targets.append(("SQLite", adbapi.ConnectionPool("sqlite3", path, check_same_thread=False, cp_min=SQLITE_POOL, cp_max=SQLITE_POOL)))
    cs = os.environ.get("ASYNCCORE_PG")
    if cs:
        kv = dict(part.split("=", 1) for part in cs.split(";") if part)
        targets.append(("PostgreSQL", adbapi.ConnectionPool(
            "psycopg2", host=kv["Host"], port=int(kv["Port"]), dbname=kv["Database"], user=kv["Username"],
            password=kv["Password"], cp_min=10, cp_max=10)))
    print("| database | query | in flight | runner | queries/s (min-max of %d rounds) |" % ROUNDS)
    for name, pool in targets:
        yield setup(pool)
        for label, sql in QUERIES:
            for in_flight in (10, 50):
                yield measure(pool, sql, in_flight, 1.0)
                rates = []
                for _ in range(ROUNDS):
                    rate = yield measure(pool, sql, in_flight, SECONDS)
                    rates.append(int(rate))
                print("| %s | %s | %d | Twisted adbapi (cp_max=%d) | %s-%s |" % (
                    name, label, in_flight, pool.max, format(min(rates), ","), format(max(rates), ",")))
        pool.close()
    reactor.stop()


reactor.callWhenRunning(main)
reactor.run()
