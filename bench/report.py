#!/usr/bin/env python3
"""Turn raw zp_bench lines from one guest session into a Markdown table,
the SPEC §5 target ratios, and a gnuplot data file.

usage: report.py RAW KERNEL-LABEL OUT-PREFIX [wall|icount]

icount: the session ran under QEMU -icount shift=0, where the guest clock
advances 1 ns per executed instruction, so zp_bench's ns are instructions.
"""
import statistics
import sys
from collections import defaultdict

raw, label, prefix = sys.argv[1:4]
clock = sys.argv[4] if len(sys.argv) > 4 else "wall"
unit = "guest instructions" if clock == "icount" else "ns"
runs = defaultdict(list)
for line in open(raw):
    f = line.split()
    if not f or f[0] != "raw":
        continue
    kv = dict(x.split("=", 1) for x in f[1:])
    cfg = "stock" if kv["cfg"] == "stock2" else kv["cfg"]
    runs[(cfg, kv["case"])].append((float(kv["ns"]), float(kv["flt"]), float(kv["rss"])))

def med(cfg, case, i=0):
    vals = [r[i] for r in runs.get((cfg, case), [])]
    return statistics.median(vals) if vals else None

def spread(cfg, case):
    vals = [r[0] for r in runs.get((cfg, case), [])]
    m = statistics.median(vals) if vals else 0
    return 100.0 * (max(vals) - min(vals)) / m if m else 0.0

cfgs = [c for c in ["stock", "always", "never", "fa16k", "fa64k", "fa256k", "fa2m", "cg1", "cg5"]
        if any(k[0] == c for k in runs)]
cases = [c for c in ["read", "write", "rtw", "shared-read", "file-read", "rand-read",
                     "munmap", "read-mt2", "rtw-mt2", "rss1g"] if any(k[1] == c for k in runs)]
rounds = max(len(v) for k, v in runs.items() if k[1] != "rss1g")

out = [f"### {label}", "",
       f"{unit} per 4 KiB page, median of {rounds} interleaved rounds (spread = (max-min)/median); "
       "ratio = configuration / stock, measured in the same guest session.", "",
       "| case | " + " | ".join(cfgs) + " |", "|---" * (len(cfgs) + 1) + "|"]
for case in cases:
    if case == "rss1g":
        continue
    cells = []
    base = med("stock", case)
    for cfg in cfgs:
        m = med(cfg, case)
        if m is None:
            cells.append("")
        elif cfg == "stock" or not base:
            cells.append(f"{m:.0f} ±{spread(cfg, case):.0f}%")
        else:
            cells.append(f"{m:.0f} ({m / base:.3f}×) ±{spread(cfg, case):.0f}%")
    out.append(f"| {case} | " + " | ".join(cells) + " |")

out += ["", "| case | " + " | ".join(cfgs) + " |", "|---" * (len(cfgs) + 1) + "|"]
for case in ["read", "rtw"]:
    out.append(f"| faults/page, {case} | " + " | ".join(
        "" if med(c, case, 1) is None else f"{med(c, case, 1):.3f}" for c in cfgs) + " |")
out.append("| RSS growth MiB, read | " + " | ".join(
    "" if med(c, "read", 2) is None else f"{med(c, 'read', 2):.1f}" for c in cfgs) + " |")
if any(k[1] == "rss1g" for k in runs):
    out.append("| read-touch 1 GiB: RSS MiB / page tables MiB | " + " | ".join(
        "" if med(c, "rss1g", 2) is None else f"{med(c, 'rss1g', 2):.1f} / {med(c, 'rss1g', 1):.1f}"
        for c in cfgs) + " |")

def ratio(a, b):
    return a / b if a and b else float("nan")

def goal_met(val, goal):
    op, bound = goal.split()
    ok = val <= float(bound) if op == "≤" else val >= float(bound)
    if val != val:
        return "not measured"
    if ok:
        return "met"
    miss = abs(val / float(bound) - 1) * 100
    return f"missed by {miss:.2f} %" if miss < 1 else f"missed by {miss:.1f} %"

# SPEC §5, in the order it gives them.
targets = [
    ("read fault, always / stock", ratio(med("always", "read"), med("stock", "read")), "≤ 1.02"),
    ("write fault, always / stock", ratio(med("always", "write"), med("stock", "write")), "≤ 1.005"),
    ("write fault, never / stock", ratio(med("never", "write"), med("stock", "write")), "≤ 1.005"),
    ("shared anon read, always / stock", ratio(med("always", "shared-read"), med("stock", "shared-read")), "≤ 1.005"),
    ("private file read, always / stock", ratio(med("always", "file-read"), med("stock", "file-read")), "≤ 1.005"),
    ("read-then-write never / plain write stock", ratio(med("never", "rtw"), med("stock", "write")), "≤ 1.02"),
    ("fault-around 64 KiB: sequential read, stock / fa64k (speed-up)", ratio(med("stock", "read"), med("fa64k", "read")), "≥ 5"),
    ("fault-around 64 KiB: random read, fa64k / stock", ratio(med("fa64k", "rand-read"), med("stock", "rand-read")), "≤ 1.02"),
]
out += ["", "| SPEC §5 target | measured | target | verdict |", "|---|---|---|---|"]
for name, val, goal in targets:
    out.append(f"| {name} | {val:.3f} | {goal} | {goal_met(val, goal)} |")

# The per-cgroup policy lookup: mode always through a policy 1 and 5 cgroup
# levels above the faulting task, against mode always with no policy.
policy_rows = [(c, n) for c, n in [("cg1", 1), ("cg5", 5)] if (c, "read") in runs]
if policy_rows:
    out += ["", "| per-cgroup policy, always: with / without a policy | read | write | read-then-write |",
            "|---|---|---|---|"]
    for cfg, levels in policy_rows:
        out.append(f"| policy {levels} level{'s' if levels > 1 else ''} up | " + " | ".join(
            f"{ratio(med(cfg, c), med('always', c)):.3f}" for c in ["read", "write", "rtw"]) + " |")

# Where a read fault's extra cost goes, from the cells above: a write fault
# passes the hook without being taken (the trampoline and the callback's
# first checks); the rest is the decision, the diversion and the
# replacement, less the kernel work they replace.
def delta(cfg, case):
    a, b = med(cfg, case), med("stock", case)
    return a - b if a is not None and b is not None else float("nan")

entry, read = delta("always", "write"), delta("always", "read")
out += ["", "| the module's cost per fault, always | per page |", "|---|---|",
        f"| entry, a fault the hook does not take (write: always − stock) | {entry:+.0f} |",
        f"| decision, diversion and replacement, net (read − write extra) | {read - entry:+.0f} |",
        f"| read fault in all (read: always − stock) | {read:+.0f} |"]
open(prefix + ".md", "w").write("\n".join(out) + "\n")
print("\n".join(out))

with open(prefix + ".dat", "w") as d:
    shown = [c for c in ["stock", "always", "never", "fa64k"] if c in cfgs]
    d.write("case " + " ".join(shown) + "\n")
    for case in cases:
        if case == "rss1g":
            continue
        d.write(case + " " + " ".join(
            f"{med(c, case):.0f}" if med(c, case) is not None else "0" for c in shown) + "\n")
