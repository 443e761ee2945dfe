#!/usr/bin/env bash
# Formats the hand-written Swift with `swift format` (the toolchain's; settings in .swift-format),
# or with --check only says what is not formatted and exits 1 (CI runs it so).
# Generated files (Sources/TallyData/, */Generated/) and golden case data are left alone.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files '*.swift' | grep -v -e '^Sources/TallyData/' -e '/Generated/' -e '^Tests/GoldenTests/Cases/')
if [ "${1:-}" = "--check" ]; then
  if ! swift format lint --strict --parallel "${files[@]}"; then
    echo "format: the files above are not formatted: run scripts/format.sh" >&2
    exit 1
  fi
  echo "format: ${#files[@]} files formatted as .swift-format says"
else
  swift format format --in-place --parallel "${files[@]}"
fi
