#!/usr/bin/env bash
# Installs a Debian package when its command is missing (needs root or sudo).
# Usage: scripts/ensure_package.sh COMMAND PACKAGE "why it is needed"
set -euo pipefail
command_name=$1 package=$2 why=$3
if command -v "$command_name" >/dev/null 2>&1 || [ -x "/usr/sbin/$command_name" ]; then
  exit 0
fi
sudo=""
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "$command_name is missing: run 'apt-get install $package' as root ($why)." >&2; exit 1; }
  sudo="sudo"
fi
echo "Installing $package for $why (apt-get)..."
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$package" >/dev/null \
  || { $sudo apt-get update -q >/dev/null && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$package" >/dev/null; }
if [ "$package" = nginx-light ]; then
  # The package starts a default server on port 80; the production profile runs its own nginx.
  $sudo service nginx stop >/dev/null 2>&1 || $sudo nginx -s stop >/dev/null 2>&1 || true
fi
