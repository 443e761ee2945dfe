#!/usr/bin/env python3
"""Runs the standard workload in Tally, polars, DuckDB and pandas, alternating, and prints wall
time, CPU time and peak memory (medians) with each peer's ratio to Tally. Every run's results are
checked against Tally's: the counts, both lists and the joined row count must be identical."""
import argparse, csv, os, statistics, subprocess, sys, tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

def results(folder):
    def rows(name):
        with open(os.path.join(folder, name), newline="") as f:
            r = list(csv.reader(f))
        return r[0], r[1:]
    _, counts = rows("counts.csv")
    _, missing = rows("missing.csv")
    _, duplicates = rows("duplicates.csv")
    with open(os.path.join(folder, "joined.csv"), "rb") as f:
        joined = sum(1 for _ in f) - 1
    return {"counts": sorted((s, g, int(n)) for s, g, n in counts), "missing": [r[0] for r in missing],
            "duplicates": [r[0] for r in duplicates], "joined rows": joined}

def command(tool, data, out, python):
    if tool.startswith("tally"):
        # "tally" is this checkout's release build; "tally@PATH" another build (before/after tables).
        binary = tool.split("@", 1)[1] if "@" in tool else os.path.join(ROOT, ".build/release/tally")
        return [binary, "run", os.path.join(HERE, "workload.playbook"),
                "--param", f"data={data}", "--param", f"out={out}", "--no-store", "--no-color"]
    return [python, os.path.join(HERE, "peers", f"{tool}_workload.py"), data, out]

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--tools", default="tally,polars,duckdb,pandas")
    ap.add_argument("--python", default=sys.executable)
    ap.add_argument("--markdown", help="also write the table here")
    args = ap.parse_args()
    tools = args.tools.split(",")
    measured = {t: [] for t in tools}
    reference = None
    scratch = tempfile.mkdtemp(prefix="tally-bench-")
    for rep in range(args.reps):
        for tool in tools:
            out = os.path.join(scratch, f"{tool.replace('/', '_')}-{rep}")
            timing = os.path.join(scratch, "time.txt")
            cmd = ["/usr/bin/time", "-f", "%e %U %S %M", "-o", timing] + command(tool, args.data, out, args.python)
            done = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                  env=dict(os.environ, PYTHONPATH=os.path.join(HERE, "peers")))
            if done.returncode not in (0, 1):
                sys.exit(f"{tool} failed ({done.returncode}):\n{done.stderr[-2000:]}")
            wall, user, system, rss = open(timing).read().split()[-4:]
            measured[tool].append((float(wall), float(user) + float(system), int(rss) / 1024))
            got = results(out)
            if reference is None:
                reference = (tool, got)
            elif got != reference[1]:
                for k in got:
                    if got[k] != reference[1][k]:
                        sys.exit(f"{tool} and {reference[0]} differ in {k}")
            subprocess.run(["rm", "-rf", out])
            print(f"  rep {rep + 1} {tool:7} wall {float(wall):6.2f} s  cpu {float(user) + float(system):6.2f} s  peak {int(rss) / 1024:7.0f} MiB", flush=True)
    r = reference[1]
    lines = [f"Results identical in every run: {len(r['counts'])} school × grade counts (sum {sum(c[2] for c in r['counts']):,}), "
             f"{len(r['missing']):,} SSIDs missing from SINF, {len(r['duplicates']):,} with more than one open primary, "
             f"{r['joined rows']:,} joined rows exported.", "",
             f"| tool | wall (median of {args.reps}) | CPU | peak RSS | wall ÷ Tally's | peak RSS ÷ Tally's |", "|---|---:|---:|---:|---:|---:|"]
    base = measured[tools[0]]
    bw, brss = statistics.median(m[0] for m in base), statistics.median(m[2] for m in base)
    for tool in tools:
        w = statistics.median(m[0] for m in measured[tool])
        c = statistics.median(m[1] for m in measured[tool])
        m = statistics.median(m[2] for m in measured[tool])
        lines.append(f"| {tool} | {w:.2f} s | {c:.2f} s | {m:,.0f} MiB | {w / bw:.2f} | {m / brss:.2f} |")
    table = "\n".join(lines)
    print("\n" + table)
    if args.markdown:
        open(args.markdown, "w").write(table + "\n")

main()
