#!/usr/bin/env bash
# The production profile puts nginx (Debian's package) in front of the replicas: install it when missing.
set -euo pipefail
if command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ]; then
  exit 0
fi
sudo=""
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "nginx is missing: run 'apt-get install nginx-light' as root." >&2; exit 1; }
  sudo="sudo"
fi
echo "Installing nginx for the production profile (apt-get)..."
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q nginx-light >/dev/null \
  || { $sudo apt-get update -q >/dev/null && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q nginx-light >/dev/null; }
# The package starts a default server on port 80; the profile runs its own nginx.
$sudo service nginx stop >/dev/null 2>&1 || $sudo nginx -s stop >/dev/null 2>&1 || true
