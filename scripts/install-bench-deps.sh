#!/usr/bin/env bash
# Installs the system packages the benchmarks need on a Debian machine (run as root; a no-op when present):
# datalad (which pulls in git-annex), the baseline of bench/node-run.bench.mjs; GNU make and snakemake, the
# baselines of bench/scheduler.bench.mjs.
set -euo pipefail

missing=()
command -v git >/dev/null 2>&1 || missing+=(git)
command -v datalad >/dev/null 2>&1 || missing+=(datalad)
command -v git-annex >/dev/null 2>&1 || missing+=(git-annex)
command -v make >/dev/null 2>&1 || missing+=(make)
command -v snakemake >/dev/null 2>&1 || missing+=(snakemake)

"$(dirname "$0")/apt-install.sh" ${missing[@]+"${missing[@]}"}
echo "bench packages ok: datalad $(datalad --version 2>/dev/null | awk '{print $2}'), git-annex $(git annex version --raw 2>/dev/null || echo '?'), $(make --version 2>/dev/null | sed -n 1p), snakemake $(snakemake --version 2>/dev/null || echo '?')"
