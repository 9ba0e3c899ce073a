#!/usr/bin/env bash
# Tests: the default greeting, and a greeting by name.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(./hello.sh)" = "Hello, world, from dkt" ] && echo "ok - default greeting"
[ "$(./hello.sh Ada)" = "Hello, Ada, from dkt" ] && echo "ok - greeting by name"
