#!/usr/bin/env python3
"""Rewrites a `tally sample calpads` district's SENR and SINF text columns to a chosen
cardinality, and prints a table of distinct counts per key column.

Usage: bench/realistic.py [--easy] SOURCE_FOLDER DEST_FOLDER
       bench/realistic.py --cardinality FOLDER

Without --easy: the cardinality of a real district — a Local Record ID per record, ~70% distinct
street lines, 20,000 last names and 2,500 first names, birth dates spread over the year. (Written
before `tally sample` made such data itself; it still makes a district whose cardinality does not
depend on the sample generator.) With --easy: the low-cardinality data `tally sample` wrote before
it was made realistic — a few hundred names, one street name and one city, no Local Record ID in
SINF — the case on which Tally's lead over polars and DuckDB came easily (bench/README.md).

Everything is derived from the SSID (so a student's SENR and SINF records agree and the
workload's joins, counts and lists are the sample's own), deterministically (no randomness)."""
import os, sys

SYL = ("ka la mi no ra se ta vi lo me an el is or un ya zo be da fi go hu je ki lu ma ne "
       "po qui ro su te va wi xe yo za bri cha dre fla gre jo kri lle mar nel pra sto tri").split()
ACCENTED = ["Muñoz", "Peña", "Nguyễn", "Ibáñez", "Cortés", "Jiménez", "Ramírez", "Núñez"]
SUFFIX = ["St", "Ave", "Blvd", "Dr", "Way", "Ct", "Ln", "Rd", "Pl", "Ter"]
CITIES = [f"{a}{b}" for a in ("San ", "Santa ", "Los ", "El ", "North ", "East ", "West ", "Port ")
          for b in ("Rosa", "Vista", "Palma", "Mateo", "Marcos", "Robles", "Alto", "Monte")][:48]

def mix(x):
    """A 64-bit mixer (splitmix64's finaliser): the same SSID always gives the same choices."""
    x = (x + 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
    return x ^ (x >> 31)

def word(n, parts):
    s = ""
    for _ in range(parts):
        s += SYL[n % len(SYL)]
        n //= len(SYL)
    return s.capitalize()

FIRST = [word(i * 7 + 3, 2) + ("a" if i % 3 == 0 else "") for i in range(2500)]
LAST = [word(i * 13 + 5, 3) for i in range(20000)] + ACCENTED
STREETS = [word(i * 11 + 1, 2) for i in range(400)]

class Student:
    """The realistic fields of one student, chosen from its SSID and the district's size."""
    def __init__(self, ssid, households):
        seed = mix(int(ssid) if ssid.isdigit() else hash(ssid))
        pick = lambda k, n: mix(seed + k) % n   # an independent choice per field
        self.first = FIRST[pick(1, len(FIRST))]
        self.middle = FIRST[pick(2, len(FIRST))] if pick(3, 5) < 3 else ""
        self.last = LAST[pick(4, len(LAST))]
        # Siblings share a household: about 70% of the street lines are distinct.
        home = pick(5, households)
        self.line1 = f"{home % 9999 + 1} {STREETS[(home // 9999) % len(STREETS)]} {SUFFIX[(home // 9999 // len(STREETS)) % len(SUFFIX)]}"
        self.line2 = f"Apt {mix(home) % 400 + 1}" if mix(home) % 100 < 15 else ""
        self.city = CITIES[mix(home + 1) % len(CITIES)]
        self.zip = str(90000 + (CITIES.index(self.city) * 37 + mix(home + 2) % 37) % 6000)
        self.birth_city = CITIES[pick(6, len(CITIES))] if pick(7, 4) == 0 else ""
        self.day = pick(8, 365)
        self.guardian = FIRST[pick(9, len(FIRST))]

    def birth(self, original):
        """The same birth year, on a day of the year chosen by the SSID."""
        if len(original) != 8: return original
        days = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        d, m = self.day, 0
        while d >= days[m]: d -= days[m]; m += 1
        return f"{original[:4]}{m + 1:02d}{d + 1:02d}"

EASY_FIRST = FIRST[:40]
EASY_LAST = LAST[:25] + ACCENTED[:5]

def easy(r, kind, ssid):
    """The old sample's cardinality: a few dozen names, "N Main St", one city."""
    h = mix(int(ssid) if ssid.isdigit() else hash(ssid))
    first, last = EASY_FIRST[h % len(EASY_FIRST)], EASY_LAST[(h >> 16) % len(EASY_LAST)]
    if kind == "SENR":
        r[9], r[10], r[11], r[18] = first, "", last, ""
    else:
        r[2] = ""
        r[10], r[11], r[12], r[19] = first, "", last, ""
        r[30], r[31], r[32], r[34] = f"{(h >> 32) % 9000 + 1000} Main St", "", "Sample City", str(93000 + (h >> 40) % 4000)
        if r[38]: r[38], r[39] = "Guardian", last

def rewrite(src, dest, kind, students, households, low=False):
    prefix = {"SENR": "ENR", "SINF": "INF"}[kind]
    with open(src, encoding="utf-8", newline="") as f, open(dest, "w", encoding="utf-8", newline="") as out:
        for n, line in enumerate(f):
            end = "\r\n" if line.endswith("\r\n") else "\n"
            r = line.rstrip("\r\n").split("^")
            ssid = r[7] if kind == "SENR" else r[8]
            if low:
                easy(r, kind, ssid)
                out.write("^".join(r) + end)
                continue
            s = students.get(ssid)
            if s is None:
                s = students[ssid] = Student(ssid, households)
            r[2] = f"{prefix}-{n + 1:08d}"   # a Local Record ID per record
            if kind == "SENR":
                r[9], r[10], r[11], r[16], r[18] = s.first, s.middle, s.last, s.birth(r[16]), s.birth_city
            else:
                r[10], r[11], r[12], r[17], r[19] = s.first, s.middle, s.last, s.birth(r[17]), s.birth_city
                r[30], r[31], r[32], r[34] = s.line1, s.line2, s.city, s.zip
                if r[38]: r[38], r[39] = s.guardian, s.last
            out.write("^".join(r) + end)

def cardinality(folder):
    """Distinct values per key column of the two files, as a Markdown table."""
    cols = {"SENR": {"LocalRecordID": 2, "SSID": 7, "LocalStudentID": 8, "FirstName": 9, "LastName": 11,
                     "BirthDate": 16, "GradeLevelCode": 23},
            "SINF": {"LocalRecordID": 2, "SSID": 8, "FirstName": 10, "LastName": 12, "BirthDate": 17,
                     "AddressLine1": 30, "AddressCityName": 32, "AddressZipCode": 34}}
    lines = ["| file | records | column | distinct | distinct ÷ records |", "|---|---:|---|---:|---:|"]
    for kind, wanted in cols.items():
        seen = {c: set() for c in wanted}
        records = 0
        with open(os.path.join(folder, f"{kind}.txt"), encoding="utf-8") as f:
            for line in f:
                r = line.rstrip("\r\n").split("^")
                records += 1
                for c, i in wanted.items(): seen[c].add(r[i])
        for c in wanted:
            lines.append(f"| {kind} | {records:,} | {c} | {len(seen[c]):,} | {len(seen[c]) / records:.2f} |")
    return "\n".join(lines)

def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--cardinality":
        print(cardinality(sys.argv[2])); return
    args = sys.argv[1:]
    low = args[:1] == ["--easy"]
    if low: args = args[1:]
    if len(args) != 2: sys.exit(__doc__)
    src, dest = args
    os.makedirs(dest, exist_ok=True)
    with open(os.path.join(src, "SINF.txt"), "rb") as f:
        count = sum(1 for _ in f)
    students, households = {}, max(1, int(count * 1.2))
    for kind in ("SINF", "SENR"):
        rewrite(os.path.join(src, f"{kind}.txt"), os.path.join(dest, f"{kind}.txt"), kind, students, households, low)
    print(cardinality(dest))

main()
