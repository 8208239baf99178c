#!/usr/bin/env bash
# Wall time from launching `brummer up` to its first MCP answer (tools/call scripts_status answered with a result),
# polled every 10 ms with curl. Prints each run and the median. Usage: up-to-mcp.sh BRUMMER [runs=7]
# BRUMMER is a brummer.dll (run with dotnet) or an executable (an installed `brummer`).
set -uo pipefail
brummer=$(realpath "$1"); runs=${2:-7}; stack=$(cd "$(dirname "$0")/../../examples/hello-stack" && pwd)
body='{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"scripts_status","arguments":{}}}'
times=()
for run in $(seq 1 "$runs"); do
  port=$((20000 + RANDOM % 20000))
  start=$(date +%s%N)
  if [[ $brummer == *.dll ]]; then
    dotnet "$brummer" up --dir "$stack" --port "$port" > /dev/null 2>&1 &
  else
    "$brummer" up --dir "$stack" --port "$port" > /dev/null 2>&1 &
  fi
  up=$!
  until curl -s -m 1 -X POST "http://127.0.0.1:$port/mcp" -H 'Content-Type: application/json' \
      -H 'Accept: application/json, text/event-stream' -d "$body" 2>/dev/null | grep -q '"result"'; do
    sleep 0.01
  done
  end=$(date +%s%N)
  kill -TERM $up; wait $up 2>/dev/null
  ms=$(( (end - start) / 1000000 )); times+=("$ms"); echo "run $run: ${ms} ms"
done
printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print "median: " a[int((NR+1)/2)] " ms"}'
