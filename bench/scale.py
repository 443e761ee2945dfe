#!/usr/bin/env python3
"""Tally alone on districts of several sizes, alternating, median of N: how the standard
workload's time grows with the district (the target: 3M students within 3.0x the 1M time)."""
import argparse, os, shutil, statistics, subprocess, sys, tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", nargs="+", required=True, help="district folders, smallest first")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--tally", default=os.path.join(ROOT, ".build/release/tally"), help="the build to run (default: this checkout's release build)")
    args = ap.parse_args()
    scratch = tempfile.mkdtemp(prefix="tally-scale-")
    walls = {d: [] for d in args.data}
    peaks = {d: [] for d in args.data}
    for rep in range(args.reps):
        for data in args.data:
            out = os.path.join(scratch, "out")
            timing = os.path.join(scratch, "time.txt")
            cmd = ["/usr/bin/time", "-f", "%e %M", "-o", timing, args.tally, "run",
                   os.path.join(HERE, "workload.playbook"), "--param", f"data={data}", "--param", f"out={out}",
                   "--no-store", "--no-color"]
            done = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            if done.returncode not in (0, 1):
                sys.exit(f"tally failed on {data} ({done.returncode}):\n{done.stderr[-2000:]}")
            wall, rss = open(timing).read().split()[-2:]
            walls[data].append(float(wall))
            peaks[data].append(int(rss) / 1024)
            shutil.rmtree(out, ignore_errors=True)
            print(f"  rep {rep + 1} {os.path.basename(data):>8}  wall {float(wall):6.2f} s  peak {int(rss) / 1024:7.0f} MiB", flush=True)
    first = statistics.median(walls[args.data[0]])
    print(f"\n| district | wall (median of {args.reps}) | peak RSS | ÷ {os.path.basename(args.data[0])} |")
    print("|---|---:|---:|---:|")
    for data in args.data:
        wall = statistics.median(walls[data])
        print(f"| {os.path.basename(data)} | {wall:.2f} s | {statistics.median(peaks[data]):,.0f} MiB | {wall / first:.2f} |")
    shutil.rmtree(scratch, ignore_errors=True)

if __name__ == "__main__":
    main()
