#!/bin/sh
# Node 2 of the walkthrough's pipeline: a one-line summary of the report that node 1 writes.
# Every field is also an environment variable NAME_FIELD: here $report_ROOT and $summary_ROOT.
set -eu
field() { sed -n "s/^$1: *//p" "$report_ROOT/cities.txt"; }

line="$(field cities) cities, $(field people) people; $(field greeting)"
echo "$line" > "$summary_ROOT/summary.txt"
echo "summary: $line"
