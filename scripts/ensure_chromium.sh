#!/usr/bin/env bash
# The console's browser tests drive Debian's Chromium: install it when missing (needs root or sudo).
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
sudo=""
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "Chromium is missing: run 'apt-get install chromium' as root." >&2; exit 1; }
  sudo="sudo"
fi
echo "Installing Chromium for the console's browser tests (apt-get, about a minute)..."
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null \
  || { $sudo apt-get update -q >/dev/null && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null; }
