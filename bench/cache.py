#!/usr/bin/env python3
"""The cell cache's cost on the standard workload: a run with --no-cache against the first run
with an empty cache (fresh store each time), alternating, median of R; then the cache's size
against the input files'. Usage: bench/cache.py --data FOLDER [--reps R] [--tally PATH]"""
import argparse, os, shutil, statistics, subprocess, sys, tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

def folder_bytes(path):
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(path) for f in fs)

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--tally", default=os.path.join(ROOT, ".build/release/tally"))
    args = ap.parse_args()
    scratch = tempfile.mkdtemp(prefix="tally-cache-bench-")
    walls = {"no-cache": [], "first cached": []}
    cache_bytes = 0
    for rep in range(args.reps):
        for case in walls:
            store = os.path.join(scratch, f"store-{rep}-{case.replace(' ', '-')}")
            os.makedirs(store)
            out = os.path.join(scratch, "out")
            timing = os.path.join(scratch, "time.txt")
            cmd = ["/usr/bin/time", "-f", "%e %M", "-o", timing, args.tally, "run", os.path.join(HERE, "workload.playbook"),
                   "--param", f"data={args.data}", "--param", f"out={out}", "--store", os.path.join(store, "qa.sqlite"), "--no-color"]
            if case == "no-cache": cmd.append("--no-cache")
            done = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            if done.returncode not in (0, 1):
                sys.exit(f"tally failed ({done.returncode}):\n{done.stderr[-2000:]}")
            wall, rss = open(timing).read().split()[-2:]
            walls[case].append(float(wall))
            cache = os.path.join(store, "qa.sqlite.cache")
            if case == "first cached": cache_bytes = folder_bytes(cache)
            print(f"  rep {rep + 1} {case:12} wall {float(wall):6.2f} s  peak {int(rss) / 1024:6.0f} MiB"
                  + (f"  cache {cache_bytes / 2**20:,.0f} MiB" if case == "first cached" else ""), flush=True)
            shutil.rmtree(store)
            shutil.rmtree(out, ignore_errors=True)
    inputs = sum(os.path.getsize(os.path.join(args.data, f)) for f in ("SENR.txt", "SINF.txt"))
    a, b = statistics.median(walls["no-cache"]), statistics.median(walls["first cached"])
    print(f"\n| run | wall (median of {args.reps}) |\n|---|---:|\n| --no-cache | {a:.2f} s |\n| first cached run | {b:.2f} s |")
    print(f"\nfirst cached ÷ --no-cache: {b / a:.2f}; cache {cache_bytes / 2**20:,.0f} MiB, inputs (SENR + SINF) "
          f"{inputs / 2**20:,.0f} MiB: {cache_bytes / inputs:.2f}× the inputs")
    shutil.rmtree(scratch)

main()
