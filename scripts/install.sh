#!/usr/bin/env bash
# Usage: scripts/install.sh TARBALL [--prefix DIR]
#
# Installs a Tally release tarball (dist/tally-VERSION-linux-x86_64.tar.gz from
# scripts/release.sh) for the current user, after checking it against TARBALL.sha256:
#   tally            -> ~/.local/bin/tally                   (DIR/bin/tally with --prefix DIR)
#   man page         -> ~/.local/share/man/man1/tally.1      (DIR/share/man/man1)
#   bash completion  -> ~/.local/share/bash-completion/completions/tally
#   zsh completion   -> ~/.local/share/zsh/site-functions/_tally
#   fish completion  -> ~/.config/fish/completions/tally.fish (DIR/share/fish/vendor_completions.d)
# Needs no root and no Swift. Exit 0 installed, 2 refused (bad arguments, checksum, tarball).
set -euo pipefail

fail() { echo "install.sh: $*" >&2; exit 2; }
tarball="" prefix=""
while [ $# -gt 0 ]; do
  case $1 in
    --prefix) [ $# -ge 2 ] || fail "--prefix needs a folder"; prefix=$2; shift 2 ;;
    --prefix=*) prefix=${1#*=}; shift ;;
    -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) fail "unknown option \"$1\" (see --help)" ;;
    *) [ -z "$tarball" ] || fail "one tarball at a time (got \"$tarball\" and \"$1\")"; tarball=$1; shift ;;
  esac
done
[ -n "$tarball" ] || fail "which tarball? usage: install.sh TARBALL [--prefix DIR]"
[ -f "$tarball" ] || fail "$tarball: no such file"
[ -n "${HOME:-}" ] || [ -n "$prefix" ] || fail "HOME is not set: pass --prefix DIR"

# The checksum first: nothing is unpacked from a tarball that does not match it.
sumfile="$tarball.sha256"
[ -f "$sumfile" ] || fail "$sumfile is missing: download it beside the tarball (refusing to install an unchecked tarball)"
expected=$(awk 'NR == 1 { print $1 }' "$sumfile")
[[ $expected =~ ^[0-9a-f]{64}$ ]] || fail "$sumfile does not hold a SHA-256 (expected sha256sum's \"HASH  NAME\" form)"
actual=$(sha256sum < "$tarball" | awk '{ print $1 }')
[ "$actual" = "$expected" ] ||
  fail "$tarball does not match $sumfile (SHA-256 $actual, expected $expected): it is damaged or not the file released; download both again. Nothing was installed."

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tar -xzf "$tarball" -C "$work" || fail "$tarball could not be unpacked"
src=$(find "$work" -mindepth 2 -maxdepth 2 -name tally -type f | head -1)
[ -n "$src" ] || fail "$tarball holds no tally binary: is it a Tally release?"
src=$(dirname "$src")

if [ -n "$prefix" ]; then
  mkdir -p "$prefix" && prefix=$(cd "$prefix" && pwd)
  bindir=$prefix/bin mandir=$prefix/share/man/man1
  bashdir=$prefix/share/bash-completion/completions zshdir=$prefix/share/zsh/site-functions
  fishdir=$prefix/share/fish/vendor_completions.d
else
  bindir=$HOME/.local/bin mandir=$HOME/.local/share/man/man1
  bashdir=$HOME/.local/share/bash-completion/completions zshdir=$HOME/.local/share/zsh/site-functions
  fishdir=${XDG_CONFIG_HOME:-$HOME/.config}/fish/completions
fi

# install(1) writes a new file and renames it, so a running tally is never overwritten in place.
put() { mkdir -p "$(dirname "$3")" && install -m "$1" "$2" "$3" && echo "  $3"; }
echo "Installed $("$src/tally" --version 2>/dev/null || echo "tally (its --version failed: $src/tally)"):"
put 755 "$src/tally" "$bindir/tally"
[ -f "$src/man/tally.1" ] && put 644 "$src/man/tally.1" "$mandir/tally.1"
[ -f "$src/completions/tally.bash" ] && put 644 "$src/completions/tally.bash" "$bashdir/tally"
[ -f "$src/completions/_tally" ] && put 644 "$src/completions/_tally" "$zshdir/_tally"
[ -f "$src/completions/tally.fish" ] && put 644 "$src/completions/tally.fish" "$fishdir/tally.fish"

echo
case ":$PATH:" in
  *":$bindir:"*) echo "$bindir is on your PATH: run \"tally --help\"." ;;
  *) echo "$bindir is NOT on your PATH: add  export PATH=\"$bindir:\$PATH\"  to ~/.bashrc (or ~/.zshrc), or run $bindir/tally" ;;
esac
echo "zsh: add  fpath=($zshdir \$fpath)  to ~/.zshrc before compinit for tab completion."
echo "Try it on the bundled example: unpack the tarball and run  tally run playbooks/census_day.playbook  in its folder."
