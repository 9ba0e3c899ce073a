#!/bin/sh
# Node 1 of the walkthrough's pipeline: a report on the cities in source `data`, greeted by the app in source `app`.
# Before it runs, dkt expands the references to source fields below (data:ROOT, app:COMMIT...) to their values at
# the versions being run: ROOT is a source's folder (for `app`, a checkout of the commit), COMMIT its git commit.
# Keep them in double quotes, like shell variables (they become references to the environment variables data_ROOT...).
set -eu
csv="${data:ROOT}/cities.csv"
rows() { tail -n +2 "$csv"; } # the CSV without its header line

cities=$(rows | grep -c .)
people=$(rows | awk -F, '{ n += $3 } END { print n }')
largest=$(rows | sort -t, -k3,3nr | head -n 1 | cut -d, -f1)

{
  echo "cities:   $cities"
  echo "people:   $people"
  echo "largest:  $largest"
  echo "greeting: $(bash "${app:ROOT}/hello.sh" "$largest")"
  echo "app:      $(printf '%s' "${app:COMMIT}" | cut -c1-8)"
} > "${report:ROOT}/cities.txt"

echo "counted $cities cities in ${data:ROOT}; the largest is $largest"
