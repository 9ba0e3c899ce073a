#!/usr/bin/env bash
# Installs the system packages dkt's tests need on a fresh Debian machine (run as root; a no-op when present).
set -euo pipefail

missing=()
command -v git >/dev/null 2>&1 || missing+=(git)
# git daemon (the tests' real git server) ships in Debian's git package, under git's exec path.
if command -v git >/dev/null 2>&1 && [ ! -x "$(git --exec-path)/git-daemon" ]; then missing+=(git); fi
command -v timeout >/dev/null 2>&1 || missing+=(coreutils)

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "missing packages: ${missing[*]}; run as root or: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
echo "system packages ok: git $(git --version | cut -d' ' -f3) (with git daemon)"
