"""Summaries of bench/run-echo-ab.sh and bench/run-deferred-ab.sh: ranges over rounds and per-round after/before ratios.

Usage: python3 bench/summarize_ab.py echo LOG      (the lines run-echo-ab.sh printed; round 0, the warm-up, is left out)
       python3 bench/summarize_ab.py deferred OUT  (the folder run-deferred-ab.sh wrote; each run's median, else its mean)
"""
import csv, glob, os, re, statistics as st, sys


def echo():
    rows = []
    for line in open(sys.argv[2]):
        d = dict(kv.split('=', 1) for kv in line.split() if '=' in kv)
        if int(d['round']) == 0:
            continue  # warm-up
        rows.append(d)
    def rng(xs, fmt='{:,.0f}'):
        return f"{fmt.format(min(xs))}–{fmt.format(max(xs))}" if xs else '-'
    def med(xs, fmt='{:,.0f}'):
        return fmt.format(st.median(xs))
    out = []
    cells = []
    for server, label in [('asynccore-echo', 'EventLoopReactor'), ('asynccore-epoll-echo', 'EpollReactor')]:
        for conns in ('1', '50'):
            cells.append((label, f'{conns} conn', lambda d, s=server, c=conns: d['server'] == s and d.get('conns') == c, 'msgs_per_s'))
    for server, label in [('asynccore-sink', 'EventLoopReactor'), ('asynccore-epoll-sink', 'EpollReactor')]:
        cells.append((label, 'bulk 1 GiB', lambda d, s=server: d['server'] == s, 'mb_per_s'))
    print('| reactor | load | build | rate per round (min–max) | median | server CPU µs/msg (min–max) | loadgen CPU % (min–max; ⚑ rounds ≥ 90 %) | after/before per round (min–max, median) |')
    print('|---|---|---|---:|---:|---:|---:|---:|')
    for label, load, pred, key in cells:
        per = {}
        for b in ('before', 'after'):
            sel = [d for d in rows if d['build'] == b and pred(d)]
            per[b] = {int(d['round']): d for d in sel}
        ratios = [float(per['after'][r][key]) / float(per['before'][r][key]) for r in per['before'] if r in per['after']]
        for b in ('before', 'after'):
            sel = list(per[b].values())
            vals = [float(d[key]) for d in sel]
            if key == 'msgs_per_s':
                cpu = [int(d['server_ticks']) * 10000 / int(d['total_msgs']) for d in sel]
                cpus = rng(cpu, '{:.1f}')
            else:
                cpu = [int(d['server_ticks']) * 10000 / 1024 for d in sel]  # server CPU µs per MiB (ticks are 10 ms)
                cpus = rng(cpu, '{:.0f}') + ' µs/MiB'
            lgs = [int(d['client_cpu_pct']) for d in sel]
            busy = sum(1 for x in lgs if x >= 90)
            lg = f"{min(lgs)}–{max(lgs)}"
            flag = f' ⚑ {busy}/{len(lgs)}' if busy else ''
            unit = 'msg/s' if key == 'msgs_per_s' else 'MB/s'
            ratio = f"{rng(ratios, '{:.2f}')}x, {med(ratios, '{:.2f}')}x" if b == 'after' else ''
            print(f'| {label} | {load} | {b} | {rng(vals)} {unit} | {med(vals)} | {cpus} | {lg}{flag} | {ratio} |')
    print()
    print(f"rounds: {sorted({int(d['round']) for d in rows})}; load average during points: {min(float(d['load']) for d in rows):.1f}–{max(float(d['load']) for d in rows):.1f}")


def deferred():
    root = sys.argv[2]
    def ns(v):
        v = v.replace(',', '').strip()
        if v == 'NA':
            return float('nan')
        m = re.match(r'([\d.]+) (ns|μs|us|ms)', v)
        f = float(m.group(1)); u = m.group(2)
        return f * {'ns': 1, 'μs': 1e3, 'us': 1e3, 'ms': 1e6}[u]
    runs = {}  # (pair, build) -> {method: (median_ns, alloc)}
    for f in glob.glob(f'{root}/*/results/*-report.csv'):
        pair, build = os.path.basename(os.path.dirname(os.path.dirname(f))).split('-')
        with open(f) as h:
            for row in csv.DictReader(h):
                runs.setdefault((int(pair), build), {})[row['Method'].strip("'")] = (ns(row.get('Median') or row['Mean']), row['Allocated'])
    pairs = sorted({p for p, _ in runs if (p, 'before') in runs and (p, 'after') in runs})
    methods = list(runs[(pairs[0], 'before')].keys())
    base = 'TaskCompletionSource + 3 ContinueWith'
    print(f'pairs: {pairs}')
    print('| benchmark | before (min–max, ns) | after (min–max, ns) | allocated before / after | after/before per pair (min–max, median) | same, normalised by the TCS baseline of its run (min–max, median) |')
    print('|---|---:|---:|---:|---:|---:|')
    for m in methods:
        b = [runs[(p, 'before')][m][0] for p in pairs]; a = [runs[(p, 'after')][m][0] for p in pairs]
        if any(x != x for x in a + b):
            print(f'| {m} | {min(b):.1f}–{max(b):.1f} | NA (throws) | | | |')
            continue
        r = [x / y for x, y in zip(a, b)]
        rn = [(runs[(p, 'after')][m][0] / runs[(p, 'after')][base][0]) / (runs[(p, 'before')][m][0] / runs[(p, 'before')][base][0]) for p in pairs]
        al = f"{runs[(pairs[0], 'before')][m][1]} / {runs[(pairs[0], 'after')][m][1]}"
        norm = '' if m == base else f'{min(rn):.2f}–{max(rn):.2f}x, {st.median(rn):.2f}x'
        print(f'| {m} | {min(b):.1f}–{max(b):.1f} | {min(a):.1f}–{max(a):.1f} | {al} | {min(r):.2f}–{max(r):.2f}x, {st.median(r):.2f}x | {norm} |')


if __name__ == '__main__':
    {'echo': echo, 'deferred': deferred}[sys.argv[1]]()
