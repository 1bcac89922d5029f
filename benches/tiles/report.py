#!/usr/bin/env python3
"""Summarises benches/tiles_vs_martin.sh's wrk rounds: medians over rounds per case and
server, the ratios riskatlas / Martin, and the issue's targets.

    report.py RESULTS.tsv SINGLE_LAYER
"""

import collections
import statistics
import sys

results, single = sys.argv[1], sys.argv[2]
runs = collections.defaultdict(list)
order = []
for line in open(results):
    phase, case, server, rnd, result = line.rstrip("\n").split("\t")
    values = dict(kv.split("=") for kv in result.split()[1:])
    values = {k: float(v) for k, v in values.items()}
    runs[(phase, case, server)].append(values)
    if (phase, case) not in order:
        order.append((phase, case))


def median(key, rs):
    done = [r for r in rs if r["requests"] > 0]
    return statistics.median(r[key] for r in done) if done else None


def fmt(v, unit=""):
    if v is None:
        return "none done"
    return f"{v:,.1f}{unit}" if v >= 10 else f"{v:.2f}{unit}"


print("== results (medians over rounds; latencies in ms, no compression)")
print(f"   {'caches':<6} {'case':<26} {'server':<12} {'req/s':>9} {'p50':>9} {'p99':>9} "
      f"{'rounds':>6} {'kB/tile':>8} {'not 200/204':>11}")
ratios = {}
bare_ratios = {}
same_response_ratios = {}
for phase, case in order:
    for server in ("riskatlas", "martin", "bare", "bare+headers"):
        rs = runs.get((phase, case, server))
        if not rs:
            continue
        reqs = sum(r["requests"] for r in rs)
        kb = sum(r["bytes"] for r in rs) / reqs / 1024 if reqs else 0
        bad = int(sum(r["non200"] + r["socket_errors"] + r["timeouts"] for r in rs))
        print(f"   {'off' if phase == 'cold' else 'on':<6} {case:<26} {server:<12} "
              f"{fmt(median('rps', rs)):>9} {fmt(median('p50_ms', rs)):>9} "
              f"{fmt(median('p99_ms', rs)):>9} {len(rs):>6} {kb:>8.1f} {bad:>11}")
    ra, mt = runs.get((phase, case, "riskatlas")), runs.get((phase, case, "martin"))
    bare = runs.get((phase, case, "bare"))
    if ra and bare:
        a, b = median("rps", ra), median("rps", bare)
        bare_ratios[(phase, case)] = a / b if a and b else None
    headed = runs.get((phase, case, "bare+headers"))
    if ra and headed:
        a, b = median("rps", ra), median("rps", headed)
        same_response_ratios[(phase, case)] = a / b if a and b else None
    if ra and mt:
        r = {}
        for key in ("p50_ms", "p99_ms", "rps"):
            a, b = median(key, ra), median(key, mt)
            r[key] = a / b if a is not None and b else None
        if median("p50_ms", mt) is None and median("p50_ms", ra) is not None:
            # Martin finished no tile within a round: its latency is over the round's
            # length, so the ratio is under riskatlas's over that length.
            longest = min(x["seconds"] for x in mt) * 1000
            for key in ("p50_ms", "p99_ms"):
                r[key] = median(key, ra) / longest
            r["bound"] = True
        ratios[(phase, case)] = r

if bare_ratios:
    print("== riskatlas / the bare axum handler (same bytes from a hash map), requests/s")
    for (phase, case), r in bare_ratios.items():
        print(f"   {'off' if phase == 'cold' else 'on':<6} {case:<26} {r:.3f}×" if r else f"   {case}: n/a")
if same_response_ratios:
    print("== riskatlas / the bare handler sending riskatlas's headers too (the same response), requests/s")
    for (phase, case), r in same_response_ratios.items():
        print(f"   {'off' if phase == 'cold' else 'on':<6} {case:<26} {r:.3f}×" if r else f"   {case}: n/a")
if not ratios:
    print("== no ratios against Martin: Martin did not run")
else:
    print("== riskatlas / Martin")
    print(f"   {'caches':<6} {'case':<26} {'p50':>8} {'p99':>8} {'req/s':>8}")
for (phase, case), r in ratios.items():
    lt = "<" if r.get("bound") else ""
    cells = [f"{lt}{r[k]:.3f}×" if r[k] is not None else "n/a" for k in ("p50_ms", "p99_ms")]
    cells.append(f"{r['rps']:.3f}×" if r["rps"] is not None else "Martin: 0")
    print(f"   {'off' if phase == 'cold' else 'on':<6} {case:<26} {cells[0]:>8} {cells[1]:>8} {cells[2]:>8}")

print("== targets (issue 17)")
targets = [
    (("cold", "z10–z15 composite"), 0.2, "z10–z15 composite, caches off, p50 ≤ 0.2× Martin"),
    (("cold", f"z10–z15 {single}"), 0.25, f"z10–z15 single layer ({single}), caches off, p50 ≤ 0.25× Martin"),
    (("cold", "z6–z9 composite"), 0.05, "z6–z9 composite, caches off, p50 ≤ 0.05× Martin"),
]
for key, limit, text in targets:
    r = ratios.get(key, {}).get("p50_ms")
    lt = "<" if ratios.get(key, {}).get("bound") else ""
    if r is None:
        print(f"   {text}: not measured")
    else:
        print(f"   {text}: {lt}{r:.3f}× — {'met' if r <= limit else 'NOT met'}")
r = bare_ratios.get(("warm", "z10–z15 composite"))
if r is None:
    print("   caches on, z10–z15 composite, throughput ≥ 0.8× a bare axum handler: not measured")
else:
    print(f"   caches on, z10–z15 composite, throughput ≥ 0.8× a bare axum handler (same body): "
          f"{r:.3f}× — {'met' if r >= 0.8 else 'NOT met'}")
r = same_response_ratios.get(("warm", "z10–z15 composite"))
if r is not None:
    print(f"   the same, against the bare handler sending riskatlas's headers too (the same response): "
          f"{r:.3f}× — {'met' if r >= 0.8 else 'NOT met'}")
