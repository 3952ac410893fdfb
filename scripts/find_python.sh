#!/usr/bin/env bash
# Prints the path of a Python 3.10 interpreter (Rasa 3.6 runs on 3.8-3.10 only).
# Looks for a real python3.10 on PATH first (pyenv shims fail when 3.10 is not
# the selected version), then in pyenv's versions. Exits 1 with one clear line.
set -u
candidate=$(command -v python3.10 2>/dev/null || true)
if [ -n "$candidate" ] && "$candidate" -c 'import sys; assert sys.version_info[:2] == (3, 10)' >/dev/null 2>&1; then
  echo "$candidate"; exit 0
fi
root=$(pyenv root 2>/dev/null || echo "${PYENV_ROOT:-$HOME/.pyenv}")
for candidate in $(ls -d "$root"/versions/3.10.*/bin/python3.10 2>/dev/null | sort -V -r); do
  if "$candidate" -c 'import sys; assert sys.version_info[:2] == (3, 10)' >/dev/null 2>&1; then
    echo "$candidate"; exit 0
  fi
done
echo "error: Python 3.10 not found. Install it (e.g. 'pyenv install 3.10' or 'apt-get install python3.10') and try again: Rasa 3.6 needs Python 3.8-3.10." >&2
exit 1
