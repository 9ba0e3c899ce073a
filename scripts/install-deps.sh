#!/usr/bin/env bash
# Installs the system packages dkt's tests need on a fresh Debian machine (run as root; a no-op when present).
set -euo pipefail

missing=()
command -v git >/dev/null 2>&1 || missing+=(git)
# git daemon (the tests' real git server) ships in Debian's git package, under git's exec path.
if command -v git >/dev/null 2>&1 && [ ! -x "$(git --exec-path)/git-daemon" ]; then missing+=(git); fi
command -v timeout >/dev/null 2>&1 || missing+=(coreutils)

"$(dirname "$0")/apt-install.sh" ${missing[@]+"${missing[@]}"}
echo "system packages ok: git $(git --version | cut -d' ' -f3) (with git daemon)"
