#!/usr/bin/env bash
# Installs the system packages dkt's tests need on a fresh Debian machine (run as root; a no-op when present).
set -euo pipefail

missing=()
command -v git >/dev/null 2>&1 || missing+=(git)
# git daemon (the tests' real git server) ships in Debian's git package, under git's exec path.
if command -v git >/dev/null 2>&1 && [ ! -x "$(git --exec-path)/git-daemon" ]; then missing+=(git); fi
command -v timeout >/dev/null 2>&1 || missing+=(coreutils)
# A real Docker engine (started by the tests on a private socket), a real registry, and the busybox the tests'
# images are built from (no image can be pulled).
command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
command -v docker-registry >/dev/null 2>&1 || missing+=(docker-registry)
[ -x /bin/busybox ] || missing+=(busybox-static)
# The browser the web view's tests drive (through playwright-core; no browser is ever downloaded).
command -v chromium >/dev/null 2>&1 || missing+=(chromium)

"$(dirname "$0")/apt-install.sh" ${missing[@]+"${missing[@]}"}
echo "system packages ok: git $(git --version | cut -d' ' -f3) (with git daemon), dockerd $(dockerd --version | cut -d' ' -f3 | tr -d ,), docker-registry, busybox, chromium"
