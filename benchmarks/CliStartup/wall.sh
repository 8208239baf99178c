#!/usr/bin/env bash
# Wall time of the everyday client verbs: the installed NativeAOT front end against the full (JIT) CLI and curl, all
# against one running gateway, in one run. Medians of N runs of /usr/bin/time -f %e. The gateway needs a script
# named SCRIPT (a long-running one: the stop/run pairs stop and start it).
# Usage: wall.sh NATIVE_BRUMMER FULL_BRUMMER GATEWAY_URL [SCRIPT=web] [N=11]
set -uo pipefail
native=$1; full=$2; gateway=$3; script=${4:-web}; n=${5:-11}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
time_of() { for _ in $(seq "$n"); do /usr/bin/time -f %e "$@" 2>&1 >/dev/null | tail -1; done | median; }
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
"$full" run "$script" --gateway "$gateway" > /dev/null
echo "curl GET /api/processes:        $(time_of curl -s "$gateway/api/processes")"
for who in native full; do
  brummer=$native; [ "$who" = full ] && brummer=$full
  echo "$who status:                 $(time_of "$brummer" status --gateway "$gateway")"
  echo "$who run (already running):  $(time_of "$brummer" run "$script" --gateway "$gateway")"
  stops=(); runs=()
  for _ in $(seq "$n"); do
    stops+=("$( { /usr/bin/time -f %e "$brummer" stop "$script" --gateway "$gateway" > /dev/null; } 2>&1 | tail -1)")
    runs+=("$( { /usr/bin/time -f %e "$brummer" run "$script" --gateway "$gateway" > /dev/null; } 2>&1 | tail -1)")
  done
  echo "$who stop (a running script): $(printf '%s\n' "${stops[@]}" | median)"
  echo "$who run (a stopped script):  $(printf '%s\n' "${runs[@]}" | median)"
  echo "$who --help:                 $(time_of "$brummer" --help)"
done
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
