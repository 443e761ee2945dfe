#!/usr/bin/env bash
# Usage: Tests/release/run.sh dist/tally-VERSION-linux-x86_64.tar.gz
#
# The release as an analyst gets it: unpacked in an empty folder, run with a scrubbed environment
# (env -i, PATH=/usr/bin:/bin, an empty HOME, LD_LIBRARY_PATH empty) in which no Swift toolchain is
# visible, on the README's example; linked against no Swift library; naming its commit; and
# installed by scripts/install.sh, which refuses a tampered tarball or a missing checksum.
# Exit 0 when every check passed; 1 at the first that failed (saying which).
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: Tests/release/run.sh TARBALL" >&2; exit 2; }
repo=$(cd "$(dirname "$0")/../.." && pwd)
tarball=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
name=$(basename "$tarball" .tar.gz)
version=${name#tally-}; version=${version%-linux-x86_64}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "release test: FAIL: $*" >&2; exit 1; }
ok() { echo "release test: ok: $*"; }

# The checksum file release.sh wrote matches.
(cd "$(dirname "$tarball")" && sha256sum -c --quiet "$name.tar.gz.sha256") || fail "$name.tar.gz.sha256 does not match"
ok "$name.tar.gz ($(du -h "$tarball" | cut -f1)) matches its .sha256"

# Unpacked in an empty folder: the binary, the README, the example and its data, completions, man page.
mkdir "$tmp/unpacked" "$tmp/home"
tar -xzf "$tarball" -C "$tmp/unpacked"
dir=$tmp/unpacked/$name
[ "$(ls "$tmp/unpacked")" = "$name" ] || fail "the tarball does not unpack into one folder $name/"
for f in tally README.md playbooks/census_day.playbook playbooks/data/SENR.txt editors/README.md editors/nvim/init.lua completions/tally.bash \
         completions/_tally completions/tally.fish man/tally.1; do
  [ -s "$dir/$f" ] || fail "$name/$f is missing or empty"
done
[ -x "$dir/tally" ] || fail "$name/tally is not executable"
bash -n "$dir/completions/tally.bash" || fail "the bash completion script does not parse"
head -1 "$dir/completions/_tally" | grep -q '^#compdef tally' || fail "_tally is not a zsh completion for tally"
grep -q "^complete -c '\\?tally'\\? " "$dir/completions/tally.fish" || fail "tally.fish is not a fish completion for tally"
man -l "$dir/man/tally.1" 2>/dev/null | grep -q 'Run a playbook and print its notebook' ||
  fail "man -l man/tally.1 does not show tally's subcommands"
ok "unpacks into $name/ with the binary, README, playbooks, editor set-ups, completions and man page"

# Linked against no Swift library: nothing of the toolchain is needed at run time. ldd shows what
# the loader would find; NEEDED is what the binary asks for whatever is installed.
ldd "$dir/tally" > "$tmp/ldd.txt" 2>&1 || fail "ldd $name/tally failed: $(cat "$tmp/ldd.txt")"
if grep -E 'libswift|libFoundation|lib_Foundation|libdispatch|libBlocksRuntime|not found' "$tmp/ldd.txt"; then
  fail "ldd $name/tally lists a Swift library or a missing one (above)"
fi
needed=$(readelf -d "$dir/tally" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')
case $needed in *swift*|*Foundation*|*dispatch*) fail "$name/tally asks for $needed" ;; esac
ok "ldd lists no Swift library; the binary needs only: $needed"

# The scrubbed environment: no Swift on its PATH. Should a system have swift in /usr/bin or /bin,
# the runs get a PATH of one folder holding only what tally may call, so swift stays invisible.
runpath=/usr/bin:/bin
if env -i PATH=$runpath sh -c 'command -v swift || command -v swiftc' >/dev/null; then
  mkdir "$tmp/path"
  for t in sh env; do ln -s "$(command -v $t)" "$tmp/path/$t"; done
  runpath=$tmp/path
fi
env -i PATH=$runpath sh -c 'command -v swift' >/dev/null 2>&1 && fail "swift is still on PATH=$runpath"
bare() { (cd "$dir" && env -i PATH=$runpath HOME="$tmp/home" LD_LIBRARY_PATH= "$@"); }
ok "tally runs with env -i PATH=$runpath HOME=(empty folder) LD_LIBRARY_PATH=(empty); swift is not on that PATH"

got=$(bare ./tally --version) || fail "tally --version failed"
[[ $got =~ ^$version\ \(commit\ [0-9a-f]{7,40}(-dirty)?\)$ ]] || fail "tally --version printed \"$got\", not \"$version (commit HASH)\""
ok "tally --version: $got"

# The README's example: its data has planted defects, so exit 1 (a failed check) is the outcome.
status=0
bare ./tally run playbooks/census_day.playbook > "$tmp/run.txt" 2>&1 || status=$?
tail -3 "$tmp/run.txt"
[ "$status" -eq 1 ] || fail "tally run playbooks/census_day.playbook exited $status, expected 1 (see above)"
grep -q 'exit 1: an error-severity check failed' "$tmp/run.txt" || fail "the example's run did not end with its documented outcome"
[ -s "$dir/playbooks/out/census_counts.csv" ] || fail "the example wrote no playbooks/out/census_counts.csv"
shown=$(bare ./tally runs show 1) || fail "tally runs show 1 failed"
grep -qF "tally $got, by " <<<"$shown" || fail "the ledger does not record \"$got\": $(sed -n 2p <<<"$shown")"
ok "tally run playbooks/census_day.playbook exits 1 as documented; the ledger records \"$got\""
for p in "$dir"/playbooks/*.playbook; do
  p=playbooks/$(basename "$p")
  bare ./tally check "$p" > "$tmp/check.txt" 2>&1 || fail "tally check $p: $(cat "$tmp/check.txt")"
done
ok "tally check passes on every bundled playbook"

# install.sh into a prefix, and into a scrubbed HOME (~/.local/...), from the scrubbed PATH.
install=$repo/scripts/install.sh
inst() { env -i PATH=/usr/bin:/bin HOME="$tmp/home" bash "$install" "$@"; }
inst "$tarball" --prefix "$tmp/prefix" > "$tmp/install.txt" || fail "install.sh --prefix failed: $(cat "$tmp/install.txt")"
for f in bin/tally share/man/man1/tally.1 share/bash-completion/completions/tally share/zsh/site-functions/_tally \
         share/fish/vendor_completions.d/tally.fish; do
  [ -s "$tmp/prefix/$f" ] || fail "install.sh --prefix did not install $f"
done
[ "$(env -i PATH=/usr/bin:/bin "$tmp/prefix/bin/tally" --version)" = "$got" ] || fail "the installed tally is not the one unpacked"
grep -q "is NOT on your PATH" "$tmp/install.txt" || fail "install.sh did not say $tmp/prefix/bin is not on PATH"
inst "$tarball" > "$tmp/install-home.txt" || fail "install.sh (to HOME) failed: $(cat "$tmp/install-home.txt")"
for f in .local/bin/tally .local/share/man/man1/tally.1 .local/share/bash-completion/completions/tally \
         .local/share/zsh/site-functions/_tally .config/fish/completions/tally.fish; do
  [ -s "$tmp/home/$f" ] || fail "install.sh did not install ~/$f"
done
ok "install.sh puts tally, its man page and completions under --prefix and under ~/.local"

# A tampered tarball, and one without its checksum file, are refused (exit 2) and install nothing.
mkdir "$tmp/bad"
cp "$tarball" "$tarball.sha256" "$tmp/bad/"
printf 'X' | dd of="$tmp/bad/$name.tar.gz" bs=1 seek=1000 conv=notrunc status=none
status=0; inst "$tmp/bad/$name.tar.gz" --prefix "$tmp/bad-prefix" > "$tmp/bad.txt" 2>&1 || status=$?
[ "$status" -eq 2 ] || fail "install.sh exited $status on a tampered tarball, expected 2"
grep -q "does not match" "$tmp/bad.txt" || fail "install.sh's refusal does not say the checksum does not match: $(cat "$tmp/bad.txt")"
[ ! -e "$tmp/bad-prefix/bin/tally" ] || fail "install.sh installed a tampered tarball"
cp "$tarball" "$tmp/bad/alone.tar.gz"
status=0; inst "$tmp/bad/alone.tar.gz" --prefix "$tmp/bad-prefix" > "$tmp/bad.txt" 2>&1 || status=$?
[ "$status" -eq 2 ] && grep -q "alone.tar.gz.sha256 is missing" "$tmp/bad.txt" ||
  fail "install.sh without a .sha256 file: exit $status, $(cat "$tmp/bad.txt")"
[ ! -e "$tmp/bad-prefix/bin/tally" ] || fail "install.sh installed a tarball it could not check"
ok "install.sh refuses a tampered tarball and one without its .sha256 (exit 2, nothing installed): $(head -1 "$tmp/bad.txt")"
echo "release test: all checks passed for $name"
