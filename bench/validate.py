"""Times `validate calpads` against `load` in one `tally run` (see bench/validate.sh).

Writes validate.playbook beside the district: a load per file, then a validate per file with the
files of the district among those `tally rules TYPE --year Y` lists after "Cross-file rules read
other files: validate calpads TYPE with ...". Runs it REPS times (--no-store --no-cache, so every
cell is computed), reads each cell's own time from the notebook ("[5] senr_findings  line 6
1.2 s") and prints a Markdown table of medians: load, validate, validate ÷ load per file and in all.
"""
import argparse, os, re, statistics, subprocess, sys

FILES = ["SENR", "SINF", "SPRG", "SELA"]


def with_list(tally, kind, year, have):
    out = subprocess.run([tally, "rules", kind, "--year", year], capture_output=True, text=True).stdout
    m = re.search(r"Cross-file rules read other files: validate calpads %s with ([a-z0-9, ]+)" % kind, out)
    if not m:
        return []
    return [t.strip() for t in m.group(1).split(",") if t.strip().upper() in have and t.strip().upper() != kind]


def seconds(text):
    n, unit = text.split()
    return float(n.replace(",", "")) / (1000.0 if unit == "ms" else 1.0)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--tally", required=True)
    p.add_argument("--data", required=True)
    p.add_argument("--year", required=True)
    p.add_argument("--reps", type=int, default=3)
    a = p.parse_args()
    have = [f for f in FILES if os.path.exists(os.path.join(a.data, f + ".txt"))]
    lines = ['playbook "validate at engine speed"']
    for f in have:
        lines.append('load %s from "%s.txt" as calpads %s' % (f.lower(), f, f))
    withs = {}
    for f in have:
        w = with_list(a.tally, f, a.year, have)
        withs[f] = w
        lines.append("%s_findings = %s | validate calpads %s%s" % (f.lower(), f.lower(), f, (" with " + ", ".join(w)) if w else ""))
    book = os.path.join(a.data, "validate.playbook")
    with open(book, "w") as fh:
        fh.write("\n".join(lines) + "\n")
    print("playbook: %s" % book)
    for l in lines[1:]:
        print("  " + l)
    cell = re.compile(r"^\[\d+\] (.+?)\s+line \d+\s+([\d.,]+ (?:ms|s))\s*$")
    times = {}  # cell name -> [seconds per rep]
    counts = {}
    for rep in range(a.reps):
        r = subprocess.run([a.tally, "run", book, "--no-store", "--no-cache", "--no-color"],
                           capture_output=True, text=True, cwd=a.data)
        if r.returncode not in (0, 1):
            sys.stderr.write(r.stdout[-2000:] + r.stderr[-2000:])
            sys.exit("tally run failed (exit %d)" % r.returncode)
        for line in r.stdout.splitlines():
            m = cell.match(line.strip())
            if m:
                name = m.group(1)
                times.setdefault(name, []).append(seconds(m.group(2)))
            m = re.match(r"^\s*→ (\w+)_findings: ([\d,]+) rows", line)
            if m:
                counts[m.group(1).upper()] = m.group(2)
        print("run %d: %s" % (rep + 1, ", ".join("%s %.2f s" % (k, v[-1]) for k, v in times.items())), flush=True)
    print()
    print("| file | load (median of %d) | validate | validate ÷ load | findings |" % a.reps)
    print("|---|---:|---:|---:|---:|")
    tl = tv = 0.0
    for i, f in enumerate(have):
        lo = statistics.median(times["load " + f.lower()])
        va = statistics.median(times[f.lower() + "_findings"])
        tl += lo; tv += va
        w = (" with " + ", ".join(withs[f])) if withs[f] else ""
        print("| %s%s | %.2f s | %.2f s | %.2f | %s |" % (f, w, lo, va, va / lo, counts.get(f, "?")))
    print("| **all** | %.2f s | %.2f s | **%.2f** | |" % (tl, tv, tv / tl))


if __name__ == "__main__":
    main()
