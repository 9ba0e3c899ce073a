#!/usr/bin/env bash
# Shared by the install scripts: apt-get installs the packages named as arguments (root; nothing to do when none).
set -euo pipefail
[ $# -gt 0 ] || exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "missing packages: $*; run as root or: sudo apt-get install -y --no-install-recommends $*" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "$@"
