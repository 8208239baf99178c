#!/usr/bin/env bash
# Gateway cost per scripts_status answer, MCP against the JSON API, on one `brummer up` with 100 running processes:
# allocation and CPU per call from dotnet-counters, and a CPU sample profile (dotnet-trace) of each route's load.
# Usage: benchmarks/StatusCost/profile.sh BRUMMER_DLL OUT_DIR     (needs dotnet-counters and dotnet-trace on PATH)
set -euo pipefail
export PATH="$PATH:$HOME/.dotnet/tools"
dll=$(realpath "$1"); out=$(realpath -m "$2"); here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out/stack"
{ echo "processes:"; for i in $(seq -w 0 99); do echo "  p$i: {command: exec sleep 3600}"; done; } > "$out/stack/brummer.yaml"
port=$((20000 + RANDOM % 20000))
dotnet "$dll" up --dir "$out/stack" --port "$port" > "$out/up.log" 2>&1 &
up=$!
trap 'kill -TERM $up 2>/dev/null; wait $up 2>/dev/null || true' EXIT
url="http://127.0.0.1:$port"
for _ in $(seq 1 120); do
  running=$(curl -s "$url/api/processes" | grep -o '"status":"running"' | wc -l || true)
  [ "$running" -ge 100 ] && break; sleep 1
done
echo "gateway $url, $running processes running" | tee "$out/summary.txt"
for mode in mcp api; do
  dotnet run "$here/poll.cs" -- "$url" "$mode" 16 20 > /dev/null   # warm-up: JIT tiering
  dotnet-counters collect -p "$up" --counters System.Runtime --refresh-interval 1 --format csv -o "$out/$mode-counters.csv" --duration 00:00:15 > /dev/null &
  counters=$!
  dotnet run "$here/poll.cs" -- "$url" "$mode" 16 15 | tee -a "$out/summary.txt"
  wait $counters || true
  dotnet-trace collect -p "$up" --profile dotnet-sampled-thread-time --duration 00:00:10 -o "$out/$mode.nettrace" > /dev/null 2>&1 &
  trace=$!
  dotnet run "$here/poll.cs" -- "$url" "$mode" 16 12 > /dev/null
  wait $trace || true
  dotnet-trace report "$out/$mode.nettrace" topN -n 25 > "$out/$mode-top.txt" 2>&1 || true
  dotnet-trace report "$out/$mode.nettrace" topN -n 25 --inclusive > "$out/$mode-top-inclusive.txt" 2>&1 || true
done
