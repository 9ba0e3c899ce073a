#!/usr/bin/env bash
# A guided tour of dkt: data sources, then a small pipeline of two compute nodes and the provenance of its result.
# Run it with `npm run example` from the repository root.
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

# The project folder, with a small local data set and the two scripts of the pipeline in it.
mkdir -p "$PROJECT"
cp -R "$EXAMPLE/data" "$PROJECT/data"
cp -R "$EXAMPLE/scripts" "$PROJECT/scripts"

say "Welcome to dkt! This walkthrough works in a fresh temporary workspace:" \
    "  $UPSTREAM  a small git repository (an app with a tests/ folder, 3 commits)" \
    "  $PROJECT   the dkt project, which starts with a data/ folder and two scripts" \
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

# --- A pin -----------------------------------------------------------------------------------------------------
OLD_APP="$(dkt source log app --json | json 'j[j.length - 1].version')"
OLD_APP_ID="${OLD_APP#*:}"
OLD_APP_ID="${OLD_APP_ID:0:8}"
say "Every command also prints JSON with --json; this script reads \`dkt source log app --json\`" \
    "to pick its first commit ($OLD_APP_ID), the app before its greeting changed." \
    "Pin \`app\` to it (say, the release in production): the pipeline below will use it until we unpin."
run dkt source pin app "$OLD_APP_ID"

say "A pinned source carries a * in the list and stays at its pinned version."
run dkt source list

# --- A pipeline of two compute nodes ----------------------------------------------------------------------------
say "Now a small pipeline: data + app -> [node 1: scripts/count.sh] -> report -> [node 2: scripts/summarize.sh] -> summary." \
    "A node writes its results into output sources; here two folders of the project."
run mkdir report summary
run dkt source add report ./report
run dkt source add summary ./summary

say "Node 1 runs this script of the project. dkt stores its content with the node, and expands each" \
    "\${SOURCE:FIELD} in it before a run: ROOT is a source's folder at the version being run, COMMIT a git commit."
run cat scripts/count.sh

say "Define node 1 and run it now: dkt prints the node's ID (a hash of its command, script, inputs and outputs)," \
    "then the run's progress (on stderr) and the script's own output."
run dkt node run --input data,app --output report scripts/count.sh

say "Its result. The greeting comes from the pinned app ($OLD_APP_ID), so it has no \"from dkt\" yet."
run cat report/cities.txt

say "Node 2 reads \`report\` and writes \`summary\`. Every field is also an environment variable NAME_FIELD:" \
    "this script uses \$report_ROOT and \$summary_ROOT."
run cat scripts/summarize.sh
run dkt node run --input report --output summary scripts/summarize.sh

say "The nodes of the project."
run dkt node list

NODE1="$(dkt node list --json | json 'j.find((n) => n.command[0] === "scripts/count.sh").id.slice(0, 8)')"
NODE2="$(dkt node list --json | json 'j.find((n) => n.command[0] === "scripts/summarize.sh").id.slice(0, 8)')"
RUN1="$(dkt node log "$NODE1" --json | json 'j.runs[0].id.slice(0, 8)')"
say "The runs of node 1 ($NODE1), newest first: the input versions each run read, the output versions it wrote."
run dkt node log "$NODE1"

say "What run $RUN1 printed (stdout and stderr are kept with the run)."
run dkt node output "$RUN1"

say "Running the same node on the same input versions again does not execute it: the run is memoized."
run dkt node run --input data,app --output report scripts/count.sh

# --- Something changes upstream ---------------------------------------------------------------------------------
say "Now two things change upstream of node 1: a new, larger city in data/ (recorded with \`source update\`)," \
    "and \`app\` is unpinned, so it follows its latest commit again."
run_line 'echo "Tokyo,Japan,37194000" >> data/cities.csv'
run dkt source update data
run dkt source unpin app

say "\`dkt status\` tells which nodes would run now, and why: both inputs of node 1 have new versions." \
    "(Node 2 is not due yet: its input \`report\` only changes when node 1 runs.)"
run dkt status

say "Rerun node 1, and with --downstream every node fed by its outputs (node 2), in dependency order."
run dkt node rerun "$NODE1" --downstream

say "The new summary: Tokyo is now the largest city, and the latest app greets it \"from dkt\"."
run cat summary/summary.txt

say "Node 2 has two runs now, one for each version of \`report\`."
run dkt node log "$NODE2"

# --- Provenance -------------------------------------------------------------------------------------------------
SUMMARY="$(dkt source list --json | json 'j.find((s) => s.name === "summary").latest.split(":")[1].slice(0, 8)')"
say "Where does this summary come from? \`dkt inspect\` walks its provenance back to the sources nobody computed:" \
    "the app commit and the data digest, the run of node 1, the report it wrote, the run of node 2."
run dkt inspect "summary:$SUMMARY"

# --- A link -----------------------------------------------------------------------------------------------------
TESTS="$(dkt source list --json | json 'j.find((s) => s.name === "app-tests").latest.split(":")[1].slice(0, 8)')"
say "Record a relation that dkt cannot see by itself, e.g. \"this summary was checked with the app's tests" \
    "at this commit\": a link between two source versions."
run dkt source link "app-tests:$TESTS" "summary:$SUMMARY"

say "The same graph in Graphviz's DOT language: runs are ellipses, source versions are boxes, and the link" \
    "just recorded is a dashed edge."
run dkt inspect "summary:$SUMMARY" --dot

say "Or rendered as an SVG picture, written to a file (no Graphviz install needed)."
run dkt inspect "summary:$SUMMARY" --svg provenance.svg

APP_USED="$(dkt inspect "summary:$SUMMARY" --json | json 'j.find((e) => e.source === "app").ID')"
say "The manifest names the exact app commit behind the summary ($APP_USED); \`source fetch\` gets its files back," \
    "e.g. to audit it or to reproduce a run by hand."
run dkt source fetch "app:$APP_USED" ../app-at-summary
run cat ../app-at-summary/hello.sh

say "You rarely run nodes by hand: the scheduler watches the sources and runs whatever is due, in dependency" \
    "order. Here a new city arrives; \`dkt scheduler --once\` records the new version of \`data\`, runs node 1," \
    "then node 2 on node 1's new output, and exits when nothing is left (without --once it keeps watching)."
run_line 'echo "Lima,Peru,10719000" >> data/cities.csv'
run dkt scheduler --once
run cat summary/summary.txt

# --- The pipeline in a file ------------------------------------------------------------------------------------
cp "$EXAMPLE/dkt.yml" dkt.yml
say "The same pipeline can live in a file, reviewed like code: dkt.yml (copied from .dkt-example/) lists the" \
    "sources and nodes built above by hand, each under a name."
run cat dkt.yml

say "\`dkt apply\` compares the file with the project and prints the plan first, as \`terraform plan\` does" \
    "(+ add, ~ change, - remove). Everything is there already, with the same node IDs: the file only names the nodes."
run dkt apply --dry-run
run dkt apply --yes

say "Applied again, the same file changes nothing. (Off a terminal, \`dkt apply\` needs --yes; on one, it asks.)"
run dkt apply

say "\`dkt export\` writes the project as such a file; \`dkt apply\` of it on a fresh project gives the same node IDs."
run dkt export

# --- History ----------------------------------------------------------------------------------------------------
say "Every change above is one commit in the metadata repository, with a clear message: sources, pins, links," \
    "nodes and runs (try \`git -C .dkt log -p\` to see the JSON files behind them)."
run git -C .dkt log --oneline

say "Done! The workspace is left for you to explore:" \
    "  $PROJECT/provenance.svg  the provenance graph of the summary (open it in a browser)" \
    "  cd $PROJECT" \
    "  alias dkt='node $REPO/bin/run.js'" \
    "  dkt --help" \
    "Remove it when you are finished:" \
    "  rm -rf $WORK"
