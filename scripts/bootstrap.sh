#!/usr/bin/env bash
# Creates .venv with Python 3.10 and installs the exact versions of requirements.lock.
# Idempotent: does nothing when the installed set already matches the lock.
set -euo pipefail
cd "$(dirname "$0")/.."
stamp=.venv/.installed
want=$(cat requirements.in requirements.lock | sha256sum | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x .venv/bin/python ]; then
  exit 0
fi
python=$(scripts/find_python.sh)
if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import sys; assert sys.version_info[:2] == (3, 10)' 2>/dev/null; then
  echo "Creating .venv with $python"
  rm -rf .venv
  "$python" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check "pip==24.2"
echo "Installing pinned packages (first time: a few minutes)..."
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.in -c requirements.lock
echo "$want" > "$stamp"
