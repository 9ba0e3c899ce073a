#!/usr/bin/env bash
# Installs Node MAJOR (default 24) from the npm registry's `node` package into .tools/node-MAJOR/ (no other download:
# its install script fetches the `node-<os>-<arch>` package of the same version) and prints the folder holding its
# `node` binary, to put first in PATH. A no-op when that major is already there.
set -euo pipefail
major="${1:-24}"
root="$(cd "$(dirname "$0")/.." && pwd)"
tools="$root/.tools/node-$major"
bin="$tools/node_modules/.bin"

if ! [ -x "$bin/node" ] || [ "$("$bin/node" -p 'process.versions.node.split(".")[0]')" != "$major" ]; then
  rm -rf "$tools"
  mkdir -p "$tools"
  # npm 11 runs a dependency's install script only when allowScripts names it.
  printf '{"private": true, "allowScripts": {"node": true}}\n' > "$tools/package.json"
  npm install --prefix "$tools" --no-audit --no-fund --loglevel=error "node@$major" >&2
fi
"$bin/node" -e 'process.exit(0)' # the binary runs here
echo "$bin"
