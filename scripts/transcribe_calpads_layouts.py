#!/usr/bin/env python3
"""Transcribes the CALPADS field layouts in ../shared/calpads/layouts into the project's own
data file, Sources/TallyData/LayoutData.swift. Run by a developer when the
layouts change; the project never reads ../shared at run time or in tests.

Each output row: type, first academic year (start year), last academic year (start year),
field number, column name (UpperCamelCase), field label, max length, required (Y/N), date (Y/N).

The 2020 facts are the base; scripts/calpads_layout_changes.tsv (the project's own, with a source
per row) changes fields by year and adds newer layouts; scripts/calpads_language_codes.tsv is
written to LanguageCodeData.swift. Next year's change is a row of the changes file.
"""
import os, re, sys

HERE = os.path.dirname(os.path.abspath(__file__))
# The generated Swift files live in Sources/TallyData/; a folder given as the first
# argument gets them instead (the drift test, GeneratedDataTests, compares the two).
GENERATED = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "Sources", "TallyData")
SRC = os.path.join(HERE, "..", "..", "shared", "calpads", "layouts")
OUT = os.path.join(GENERATED, "LayoutData.swift")
CHANGES = os.path.join(HERE, "calpads_layout_changes.tsv")
LANGUAGES = os.path.join(HERE, "calpads_language_codes.tsv")
LANGUAGE_OUT = os.path.join(GENERATED, "LanguageCodeData.swift")
BASE_SPEC = "CFS facts of 2020 (Data Guide v11 numbers)"

# (types, file, first year, last year)
FILES = [
    (["SENR"], "SENR_2019-20_to_2022-23.tsv", 2019, 2022),
    (["SENR"], "SENR_2023-24_plus.tsv", 2023, 9999),
    (["SINF"], "SINF_2019-20.tsv", 2019, 9999),
    (["SPRG"], "SPRG.tsv", 2019, 9999),
    (["SELA"], "SELA.tsv", 2019, 9999),
    (["SDEM"], "SDEM.tsv", 2019, 9999),
    (["SASS"], "SASS.tsv", 2019, 9999),
    (["STAS"], "STAS_2019-20.tsv", 2019, 9999),
    (["CRSE", "CRSC"], "CRSE_CRSC.tsv", 2019, 9999),
    (["SCSE", "SCSC"], "SCSE_SCSC.tsv", 2019, 9999),
    (["SCTE"], "SCTE.tsv", 2019, 9999),
    (["SINC"], "SINC.tsv", 2019, 9999),
    (["SIRS"], "SIRS.tsv", 2019, 9999),
    (["SOFF"], "SOFF.tsv", 2019, 9999),
    # Retired or older files, from the only lists the facts have (see LEGACY below).
    (["SPED"], "SPED_legacy_ods_columns.tsv", 2019, 2022),
    (["SSRV"], "SSRV_legacy_ods_columns.tsv", 2019, 2022),
    (["SDIS"], "SDIS_legacy.tsv", 2014, 2018),
]

# Layouts transcribed from an ODS extract's column list (no lengths; the two extract columns
# dropped; fields numbered by position under the file's number in the Data Guide) or from a
# legacy list whose field numbers are unknown (numbered by position).
ODS_LISTS = {"SPED_legacy_ods_columns.tsv": "14", "SSRV_legacy_ods_columns.tsv": "15"}
POSITION_NUMBERED = {"SDIS_legacy.tsv": "SDIS"}
DATE_SUFFIXES = ("Date",)

def camel(label):
    words = re.findall(r"[A-Za-z0-9]+", label)
    return "".join(w[0].upper() + w[1:] for w in words)

base = []  # (type, first, last, [field rows])
for types, name, first, last in FILES:
    seen = {}
    with open(os.path.join(SRC, name), encoding="utf-8") as f:
        lines = [l.rstrip("\n") for l in f if not l.startswith("#")]
    header = lines[0].split("\t")
    idx = {h: i for i, h in enumerate(header)}
    for line in lines[1:]:
        if not line.strip():
            continue
        cells = line.split("\t")
        get = lambda k: cells[idx[k]].strip() if idx.get(k) is not None and idx[k] < len(cells) else ""
        label = get("field_name")
        if name in ODS_LISTS and label in ("Upload Date", "Last Date Updated"):
            continue
        col = camel(label)
        if col in seen:
            seen[col] += 1
            col = f"{col}{seen[col]}"
        else:
            seen[col] = 1
        maxlen = get("max_length") or "0"
        required = "Y" if get("required_best_guess").startswith("Y") else "N"
        fmt = get("format_or_pattern")
        is_date = "Y" if "yyyyMMdd" in fmt else "N"
        number = get("field_no")
        if name in ODS_LISTS:
            number = f"{ODS_LISTS[name]}.{int(number):02d}"
            is_date = "Y" if label.endswith(DATE_SUFFIXES) else "N"
            required = "Y" if col in ("RecordTypeCode", "ReportingLEA", "SchoolOfAttendance", "AcademicYearID", "SSID") else "N"
        elif name in POSITION_NUMBERED:
            number = f"#{int(number)}"
            is_date = "Y" if label.endswith(DATE_SUFFIXES) else is_date
        for t in types:
            base.append((t, first, last, [number, col, label, maxlen, required, is_date]))


def read_tsv(path):
    with open(path, encoding="utf-8") as f:
        lines = [l.rstrip("\n") for l in f if l.strip() and not l.startswith("#")]
    header = lines[0].split("\t")
    return [dict(zip(header, l.split("\t"))) for l in lines[1:]]

def field_key(number):
    # 13.02 < 13.10 < 13.24; SDIS' #n numbers by position.
    return [int(p) for p in re.findall(r"\d+", number)]

changes = read_tsv(CHANGES)
types_in_order = []
for t, *_ in base:
    if t not in types_in_order: types_in_order.append(t)
for c in changes:
    if c["type"] not in types_in_order: types_in_order.append(c["type"])

rows, specs = [], []
for t in types_in_order:
    ranges = sorted({(f, l) for bt, f, l, _ in base if bt == t})
    mine = [c for c in changes if c["type"] == t]
    cuts = sorted({f for f, _ in ranges} | {l + 1 for _, l in ranges} | {int(c["first_year"]) for c in mine}
                  | {int(c["last_year"]) + 1 for c in mine})
    segments = []  # (first, last, fields, spec, sources)
    for a, b in zip(cuts, cuts[1:]):
        fields = {}
        for bt, f, l, row in base:
            if bt == t and f <= a <= l: fields[row[0]] = row
        spec = BASE_SPEC if fields else None
        sources = []
        for c in mine:
            if int(c["first_year"]) <= a <= int(c["last_year"]):
                if c["label"] == "-":
                    fields.pop(c["field_no"], None)
                else:
                    fields[c["field_no"]] = [c["field_no"], camel(c["label"]), c["label"], c["max_length"] or "0",
                                             c["required"], c["date"]]
                spec = c["spec"]
                if c["source"] not in sources: sources.append(c["source"])
        if not fields: continue
        ordered = [fields[k] for k in sorted(fields, key=field_key)]
        if segments and segments[-1][1] == a - 1 and segments[-1][2] == ordered and segments[-1][3] == spec:
            segments[-1] = (segments[-1][0], b - 1, ordered, spec, segments[-1][4])
        else:
            segments.append((a, b - 1, ordered, spec, sources))
    for first, last, fields, spec, sources in segments:
        last = min(last, 9999)
        for row in fields:
            rows.append("\t".join([t, str(first), str(last)] + row))
        specs.append("\t".join([t, str(first), str(last), spec, "; ".join(sources)]))

with open(OUT, "w", encoding="utf-8") as out:
    out.write("// Generated by scripts/transcribe_calpads_layouts.py from the CALPADS File Specifications\n")
    out.write("// facts gathered in shared/calpads/layouts (Data Guide v11 names and numbers, SIS export lengths)\n")
    out.write("// and the changes since in scripts/calpads_layout_changes.tsv (a source per row).\n")
    out.write("// Columns: type, first year, last year, field, name, label, max length, required, date.\n")
    out.write("// Edit the script, not this file.\n\n")
    out.write("package enum CalpadsLayoutData {\n    package static let tsv = #\"\"\"\n")
    for r in rows:
        out.write(r + "\n")
    out.write("\"\"\"#\n\n")
    out.write("    /// Each layout's specification version and the sources of its changes since 2020:\n")
    out.write("    /// type, first year, last year, spec, sources.\n")
    out.write("    package static let specs = #\"\"\"\n")
    for r in specs:
        out.write(r + "\n")
    out.write("\"\"\"#\n}\n")

languages = read_tsv(LANGUAGES)
with open(LANGUAGE_OUT, "w", encoding="utf-8") as out:
    out.write("// Generated by scripts/transcribe_calpads_layouts.py from scripts/calpads_language_codes.tsv\n")
    out.write("// (sources there). Columns: code, first academic year (start year), last (9999 = current).\n\n")
    out.write("package enum CalpadsLanguageCodeData {\n    package static let tsv = #\"\"\"\n")
    for l in languages:
        out.write("\t".join([l["code"], l["first_year"], l["last_year"]]) + "\n")
    out.write("\"\"\"#\n}\n")
print(f"{len(rows)} fields written to {OUT}")
