#!/usr/bin/env bash
# Usage: scripts/release.sh [--scratch-path DIR]        (or TALLY_RELEASE_SCRATCH=DIR)
#
# Builds the release tarball an analyst downloads: a tally binary with the Swift standard library
# and Foundation linked in (it needs only glibc, libstdc++, libz and libsqlite3 at run time),
# stripped, with the README, docs, report templates, the editor set-ups (editors/), the example playbooks and their data, shell
# completions and a man page, as
#   dist/tally-VERSION-linux-x86_64.tar.gz  and  dist/tally-VERSION-linux-x86_64.tar.gz.sha256
# Run it from a git clone: the commit built is baked into the binary (`tally --version`).
# A release build takes 13+ minutes on 2 cores from nothing; --scratch-path reuses an earlier one
# (default .build-release, kept apart from the development .build).
set -euo pipefail
cd "$(dirname "$0")/.."

scratch=${TALLY_RELEASE_SCRATCH:-.build-release}
while [ $# -gt 0 ]; do
  case $1 in
    --scratch-path) [ $# -ge 2 ] || { echo "release.sh: --scratch-path needs a folder" >&2; exit 2; }
                    scratch=$2; shift 2 ;;
    --scratch-path=*) scratch=${1#*=}; shift ;;
    -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "release.sh: unknown argument \"$1\" (see --help)" >&2; exit 2 ;;
  esac
done

command -v git >/dev/null && git rev-parse --git-dir >/dev/null 2>&1 ||
  { echo "release.sh: run this in a git clone of Tally (the binary records the commit it was built from)" >&2; exit 2; }
[ "$(uname -s)-$(uname -m)" = Linux-x86_64 ] ||
  { echo "release.sh: builds linux-x86_64 only; this is $(uname -s)-$(uname -m)" >&2; exit 2; }

version=$(sed -n 's/^ *public static let number = "\(.*\)"$/\1/p' Sources/TallyCore/Runtime/Version.swift)
[ -n "$version" ] || { echo "release.sh: no version number in Sources/TallyCore/Runtime/Version.swift" >&2; exit 2; }
buildinfo=Sources/TallyCore/Runtime/BuildInfo.swift
commit=$(git rev-parse --short=7 HEAD)
# Uncommitted changes to tracked files are built in too: say so in the version rather than
# name a commit the binary does not match.
if [ -n "$(git status --porcelain --untracked-files=no -- . ":(exclude)$buildinfo")" ]; then
  commit="$commit-dirty"
  echo "release.sh: warning: the working tree has uncommitted changes; the version says $commit" >&2
fi
name="tally-$version-linux-x86_64"

# Bake the commit in, and put BuildInfo.swift back however the script ends (never leave the tree
# dirty). The saved copy, not git, is restored: it may hold someone's uncommitted edit; but a copy
# an interrupted run left behind (killed before it could restore) is replaced by the committed one.
work=$(mktemp -d)
cp -p "$buildinfo" "$work/BuildInfo.swift"
restore() {
  if grep -q 'Written by scripts/release.sh' "$work/BuildInfo.swift"; then git checkout -q -- "$buildinfo"
  else cp -p "$work/BuildInfo.swift" "$buildinfo"; fi
}
trap 'restore; rm -rf "$work"' EXIT
trap 'exit 130' INT TERM HUP   # so that the EXIT trap restores BuildInfo.swift then too
printf '%s\n' "// Written by scripts/release.sh for the release build of commit $commit; restored afterwards." \
  'enum BuildInfo {' "    static let commit: String? = \"$commit\"" '}' > "$work/baked.swift"
# Written in place (same inode) and dated by the commit, so that a second release build of the
# same commit finds the file as the first left it and recompiles nothing.
if ! cmp -s "$work/baked.swift" "$buildinfo"; then
  cat "$work/baked.swift" > "$buildinfo"
  touch -d "@$(git log -1 --format=%ct HEAD)" "$buildinfo"
fi

# tally, and ArgumentParser's generate-manual tool built with the same flags (its plugin would
# build the package again without --static-swift-stdlib, and so recompile every module).
build=(swift build -c release --static-swift-stdlib --scratch-path "$scratch")
echo "release.sh: building $name (commit $commit) in $scratch"
"${build[@]}" --product tally
"${build[@]}" --product generate-manual
binpath=$("${build[@]}" --show-bin-path)
restore                                          # built: the tree is clean again from here on
trap 'rm -rf "$work"' EXIT

stage="$work/$name"
mkdir -p "$stage/completions" "$stage/man"
strip -o "$stage/tally" "$binpath/tally"
chmod 755 "$stage/tally"
got=$("$stage/tally" --version)
[ "$got" = "$version (commit $commit)" ] ||
  { echo "release.sh: the built tally says \"$got\", not \"$version (commit $commit)\"" >&2; exit 1; }

# The man page by ArgumentParser's generate-manual (what its plugin runs), dated by the commit.
"$binpath/generate-manual" "$stage/tally" --date "$(git log -1 --format=%cs HEAD)" --output-directory "$stage/man" > /dev/null
[ -s "$stage/man/tally.1" ] || { echo "release.sh: generate-manual wrote no man/tally.1" >&2; exit 1; }

# What goes beside the binary: the committed (tracked) files only, never out/ or .tally/.
git ls-files -z -- README.md LICENSE docs templates playbooks editors | tar --null -T - -cf - | tar -xf - -C "$stage"
[ -f "$stage/LICENSE" ] || echo "release.sh: note: the repository has no LICENSE file; the tarball has none"

"$stage/tally" --generate-completion-script bash > "$stage/completions/tally.bash"
"$stage/tally" --generate-completion-script zsh > "$stage/completions/_tally"
"$stage/tally" --generate-completion-script fish > "$stage/completions/tally.fish"

# The same names, order, owners and times every time (from the commit), so two builds of one
# commit differ only where the compiler's output does.
mkdir -p dist
stamp=$(git log -1 --format=%ct HEAD)
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$stamp" -C "$work" -cf - "$name" |
  gzip -n -9 > "dist/$name.tar.gz"
(cd dist && sha256sum "$name.tar.gz" > "$name.tar.gz.sha256")
echo "release.sh: wrote dist/$name.tar.gz ($(du -h "dist/$name.tar.gz" | cut -f1)) and dist/$name.tar.gz.sha256"
echo "  $(cat "dist/$name.tar.gz.sha256")"
