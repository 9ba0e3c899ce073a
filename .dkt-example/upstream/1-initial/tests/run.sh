#!/usr/bin/env bash
# Smoke test: the app greets the world by default.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(./hello.sh)" = "Hello, world" ] && echo "ok - default greeting"
