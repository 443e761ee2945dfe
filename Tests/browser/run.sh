#!/usr/bin/env bash
# The live notebook and the reports in a real headless browser: installs Selenium into Tests/browser/.venv (once)
# and drives Debian's Chromium (apt-get install chromium chromium-driver) against `tally watch`.
# Usage: Tests/browser/run.sh [TALLY_BINARY]   (default .build/debug/tally)
set -euo pipefail
cd "$(dirname "$0")/../.."
tally="${1:-.build/debug/tally}"
if [ ! -x Tests/browser/.venv/bin/python ]; then
  python3 -m venv Tests/browser/.venv
  Tests/browser/.venv/bin/pip install -q selenium
fi
Tests/browser/.venv/bin/python Tests/browser/watch_test.py "$tally"
# Hostile text in every part of a report and the live page is shown as text, never run.
Tests/browser/.venv/bin/python Tests/browser/escaping_test.py "$tally"
Tests/browser/print.sh "$tally"
