#!/usr/bin/env bash
# A guided tour of dkt's data sources. Run it with `npm run example` from the repository root.
# Everything happens in a fresh temporary workspace; nothing is written inside the repository.
set -euo pipefail
set -o errtrace # so that the ERR trap below also fires inside functions

EXAMPLE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$EXAMPLE/.." && pwd)"

# dkt as a user would type it, run from this checkout.
dkt() { node "$REPO/bin/run.js" "$@"; }

# Print a step's explanation as a `#` comment line (after a blank line separating it from the previous step).
say() {
  printf '\n'
  for line in "$@"; do printf '#%s\n' "${line:+ $line}"; done
}

# Print a command as `$ ...` (single-quoting only the arguments that need it), then run it.
run() {
  local shown='$' arg
  for arg in "$@"; do
    if [[ "$arg" =~ ^[A-Za-z0-9_./:=@%+,-]+$ ]]; then shown+=" $arg"; else shown+=" '${arg//\'/\'\\\'\'}'"; fi
  done
  printf '%s\n' "$shown"
  "$@"
}

# Print a shell command line (with redirections) as `$ ...`, then run it.
run_line() {
  printf '$ %s\n' "$1"
  eval "$1"
}

# Read JSON on stdin and print the value of a JavaScript expression over it (`j`); jq may not be installed.
json() { node -e 'let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => { const j = JSON.parse(s); console.log(eval(process.argv[1])) })' "$1"; }

# --- The workspace ----------------------------------------------------------------------------------------------
WORK="$(mktemp -d "${TMPDIR:-/tmp}/dkt-example.XXXXXX")"
trap 'echo "The walkthrough stopped on an error; its workspace is left in $WORK" >&2' ERR
UPSTREAM="$WORK/upstream"
PROJECT="$WORK/project"
# Temporary folders that dkt creates (`dkt source add scratch` below) go into the workspace too, so that removing
# the workspace removes everything this walkthrough made.
mkdir -p "$WORK/tmp"
export TMPDIR="$WORK/tmp"

# The upstream repository: a tiny app with a tests/ sub-folder, built from the snapshots in .dkt-example/upstream/.
# Each snapshot is copied over the previous one and committed. Fixed names and dates make the commit IDs (and so the
# versions dkt shows) the same on every run.
commit_snapshot() { # SNAPSHOT DATE MESSAGE
  cp -R "$EXAMPLE/upstream/$1/." "$UPSTREAM/"
  git -C "$UPSTREAM" add -A
  GIT_AUTHOR_DATE="$2" GIT_COMMITTER_DATE="$2" \
    git -C "$UPSTREAM" -c user.name=example -c user.email=example@localhost -c commit.gpgsign=false commit -q -m "$3"
}
git init -q "$UPSTREAM"
git -C "$UPSTREAM" symbolic-ref HEAD refs/heads/main
commit_snapshot 1-initial "2024-01-01T10:00:00Z" "Initial app with a smoke test"
commit_snapshot 2-greeting "2024-01-02T10:00:00Z" "Change the greeting (app only, tests untouched)"
commit_snapshot 3-more-tests "2024-01-03T10:00:00Z" "Test the greeting by name (tests only)"

# The project folder, with a small local data set in it.
mkdir -p "$PROJECT"
cp -R "$EXAMPLE/data" "$PROJECT/data"

say "Welcome to dkt! This walkthrough works in a fresh temporary workspace:" \
    "  $UPSTREAM  a small git repository (an app with a tests/ folder, 3 commits)" \
    "  $PROJECT   the dkt project, which starts with only a data/ folder" \
    "" \
    "The upstream repository's history:"
run git -C "$UPSTREAM" log --oneline

say "Two of its three commits touch the tests/ sub-folder:"
run git -C "$UPSTREAM" log --oneline -- tests

say "Start in the project folder."
run cd "$PROJECT"

# --- Sources ----------------------------------------------------------------------------------------------------
say "Create a dkt project here: its metadata lives in .dkt/, itself a git repository."
run dkt init

say "Track the upstream repository as source \`app\`. -k git is needed because a plain local" \
    "folder would otherwise be tracked as a \`path\` source; TAG defaults to its default branch."
run dkt source add app "$UPSTREAM" -k git

say "A source can derive from another one: \`app-tests\` is the tests/ sub-folder of \`app\`" \
    "(it inherits kind, location and tag; -p is relative to the parent's path)."
run dkt source add app-tests app -p tests

say "A local folder is a \`path\` source; its version is an md5 digest of its files."
run dkt source add data ./data

say "Without a location, dkt creates a new temporary folder (empty, so its digest is that of an empty tree)."
run dkt source add scratch

say "Every source with its latest version: sha1 commits for git, md5 digests for paths."
run dkt source list

# --- Versions ---------------------------------------------------------------------------------------------------
say "A git source's versions are its commits, newest first."
run dkt source log app

say "A source with a sub-path only has the commits that touch that sub-path:" \
    "the greeting change did not touch tests/, so \`app-tests\` has 2 versions, not 3."
run dkt source log app-tests

say "Change a data file, then ask dkt to check \`data\` now: it records a new version."
run_line 'echo "Osaka,Japan,2753862" >> data/cities.csv'
run dkt source update data

say "A path source keeps no history of its own: its log lists the versions dkt has observed."
run dkt source log data

# --- Pins and links ---------------------------------------------------------------------------------------------
OLD_APP="$(dkt source log app --json | json 'j[1].version')"
OLD_APP_ID="${OLD_APP#*:}"
OLD_APP_ID="${OLD_APP_ID:0:8}"
say "Every command also prints JSON with --json; this script reads \`dkt source log app --json\`" \
    "to pick the commit before the latest one ($OLD_APP_ID) and pin \`app\` to it."
run dkt source pin app "$OLD_APP_ID"

say "A pinned source carries a * in the list and stays at its pinned version."
run dkt source list

DATA_ID="$(dkt source list --json | json 'j.find((s) => s.name === "data").latest.split(":")[1].slice(0, 8)')"
say "Record an out-of-band relation between two versions, e.g. \"this app commit was tested with this data\"."
run dkt source link "app:$OLD_APP_ID" "data:$DATA_ID"

say "Unpin \`app\`: it follows its latest commit again."
run dkt source unpin app

# --- History ----------------------------------------------------------------------------------------------------
say "Every change above is one commit in the metadata repository, with a clear message" \
    "(try \`git -C .dkt log -p\` to see the JSON files behind them)."
run git -C .dkt log --oneline

say "Done! The workspace is left for you to explore:" \
    "  cd $PROJECT" \
    "  alias dkt='node $REPO/bin/run.js'" \
    "  dkt --help" \
    "Remove it when you are finished:" \
    "  rm -rf $WORK"
