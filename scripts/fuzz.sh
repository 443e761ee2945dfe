#!/usr/bin/env bash
# Fuzzes one of Tally's readers with libFuzzer and AddressSanitizer, outside the normal build.
# Usage: scripts/fuzz.sh TARGET SECONDS      TARGET: playbook | delimited | calpads | xlsx | journal | export-path
# Seeds come from the repository (golden cases, example playbooks and data); the corpus grows in
# .build/fuzz/TARGET (kept between runs, not in git). A crash, a hang (over 10 s on one input) or
# running out of memory (2 GB) stops the run and leaves the input in .build/fuzz/TARGET-crashes/:
# make it a case of the bad-input corpus (Tests/TallyCoreTests/BadInputCorpusTests.swift).
# The last line gives the executions run, for docs/RELIABILITY.md.
set -euo pipefail
cd "$(dirname "$0")/.."
target="${1:?usage: scripts/fuzz.sh playbook|delimited|calpads|xlsx SECONDS}"
seconds="${2:?usage: scripts/fuzz.sh TARGET SECONDS}"
case "$target" in
  playbook) product=FuzzPlaybook ;;
  delimited) product=FuzzDelimited ;;
  calpads) product=FuzzCalpads ;;
  xlsx) product=FuzzXlsx ;;
  journal) product=FuzzJournal ;;
  export-path) product=FuzzExportPath ;;
  *) echo "unknown target $target: playbook, delimited, calpads, xlsx, journal or export-path" >&2; exit 2 ;;
esac
# lld: gold fails with an internal error on the sanitizer's symbols.
swift build --package-path Fuzz -c debug -Xswiftc -sanitize=fuzzer,address -Xswiftc -use-ld=lld --product "$product" >&2
# The stack `tally run` gives a playbook's recursive walks (Sources/TallyCore/Runtime/LargeStack.swift).
ulimit -s 1048576
corpus=".build/fuzz/$target"
seeds=".build/fuzz/$target-seeds"
crashes=".build/fuzz/$target-crashes"
mkdir -p "$corpus" "$seeds" "$crashes"
# Seeds: the first byte of a delimited/CALPADS/xlsx input picks the reader's options (see Fuzz/).
n=0
# (head reads the file itself: in a pipe, the writer's SIGPIPE would stop the script under pipefail)
seed() { n=$((n + 1)); { printf "$1"; head -c 65535 "$2"; } > "$seeds/$n"; }
case "$target" in
  playbook)
    for f in playbooks/*.playbook Tests/GoldenTests/Cases/*/*/case.playbook; do head -c 65536 "$f" > "$seeds/$((n += 1))"; done ;;
  delimited)
    for f in Tests/GoldenTests/Cases/*/*/*.csv playbooks/data/*.csv; do seed '\000' "$f"; seed '\040' "$f"; done ;;
  calpads)
    for f in playbooks/data/S*.txt Tests/GoldenTests/Cases/*/*/S*.txt; do
      [ -f "$f" ] || continue
      case "$(head -c 4 "$f")" in SENR) b='\000' ;; SINF) b='\001' ;; SPRG) b='\002' ;; SELA) b='\003' ;; *) b='\000' ;; esac
      seed "$b" "$f"
    done
    # What CALPADS sends back: error reports (32), rejected records (64), Report 1.17 (97).
    for f in playbooks/data/ErrorReport*.csv Tests/GoldenTests/Cases/returns/*/errors.csv; do seed '\040' "$f"; done
    for f in playbooks/data/SENR_rejected*.txt Tests/GoldenTests/Cases/returns/*/SENR_rejected.txt; do seed '\100' "$f"; done
    for f in playbooks/data/Report_1.17*.csv Tests/GoldenTests/Cases/returns/*/Report_1.17.csv; do seed '\141' "$f"; done ;;
  xlsx)
    for f in Tests/TallyCoreTests/Fixtures/*.xlsx; do seed '\001' "$f"; done
    printf '\000<worksheet><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="inlineStr"><is><t>n</t></is></c></row><row r="2"><c r="A2" s="1"><v>45567</v></c><c r="B2"><v>12</v></c></row></sheetData></worksheet>\000<sst><si><t>SSID</t></si></sst>\000<styleSheet><cellXfs><xf numFmtId="0"/><xf numFmtId="14"/></cellXfs></styleSheet>' > "$seeds/$((n += 1))" ;;
  journal)
    # The journal's text with @ for its token; the first byte: 1 a QA store, 2 sealed by it.
    for b in '\000' '\001' '\003'; do
      printf "${b}tally-commit 2\nrun 7\n.a.csv.tally-partial-@-0\ta.csv\t.a.csv.tally-backup-@-0\n.b.csv.tally-partial-@-1\tb.csv\t-\nend -\n" > "$seeds/$((n += 1))"
      printf "${b}tally-commit 2\nrun 8\n.c.csv.tally-partial-@-2\tlink.csv\t-\nend -\n" > "$seeds/$((n += 1))"
      printf "${b}tally-commit 2\nrun -\n.c.csv.tally-partial-@-2\tplaybook-link\t-\nend -\n" > "$seeds/$((n += 1))"
      printf "${b}/tmp/x\t../../home/.bashrc\nend\n" > "$seeds/$((n += 1))"
    done ;;
  export-path)
    # Template, text a, text b, the path parameter's value, the {School} value: NUL between.
    for s in 'out/{School}/w.csv\000\000\000\000A' 'out/{a}{b}/x.csv\000.\000.\000\000' '{dir}/x.csv\000\000\000../home\000' \
             'elsewhere/x.csv\000\000\000\000' 'out/pb\000\000\000\000' '.tally/tally.sqlite-wal\000\000\000\000' \
             '../allowed/{School}.csv\000\000\000\000..' '/tmp/x.csv\000\000\000\000'; do
      printf "$s" > "$seeds/$((n += 1))"
    done ;;
esac
# -detect_leaks=0 and ASAN_OPTIONS: Foundation's FileManager leaks 54 bytes per path on Linux
# (fileSystemRepresentation), which stopped the xlsx target after 3 inputs, and LeakSanitizer's
# report at exit made a clean run look like a finding; a leak is not what these runs look for.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
"Fuzz/.build/debug/$product" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 -detect_leaks=0 \
  -artifact_prefix="$crashes/" -print_final_stats=1 "$corpus" "$seeds" > ".build/fuzz/$target.log" 2>&1 &&
  status=0 || status=$?
grep -E "^#[0-9]+.*DONE|ERROR|SUMMARY|Test unit written|stat::number_of_executed_units" ".build/fuzz/$target.log" || true
runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' ".build/fuzz/$target.log" | grep -o '[0-9]*$' || echo 0)
if [ "$status" -ne 0 ]; then
  echo "fuzz $target: stopped after $runs executions with a finding (exit $status); see $crashes/ and .build/fuzz/$target.log"
  exit 1
fi
echo "fuzz $target: $runs executions in $seconds s, no crash, hang (10 s) or memory exhaustion (2 GB)"
