#!/usr/bin/env bash
# Where script-log export costs go while one script floods: one `brummer up` over 50 `exec sleep 3600` and a `yes`
# flood (100-byte lines), once with no OTEL_* variable and once exporting over http/protobuf to a sink that discards
# (otlp-sink.py), back to back. Per run: 10 s after the flood started, dotnet-counters (System.Runtime: allocation,
# collections, GC pause, CPU) for 15 s, then a dotnet-trace CPU sample profile for 10 s; the node's /metrics at the end.
# Usage: benchmarks/Telemetry/flood-profile.sh BRUMMER_DLL OUT_DIR [off on on-nologs ...]
set -euo pipefail
export PATH="$PATH:$HOME/.dotnet/tools"
dll=$(realpath "$1"); out=$(realpath -m "$2"); shift 2
if [ $# -gt 0 ]; then configs=("$@"); else configs=(off on); fi
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out/stack"
line=$(python3 -c "t='GET /api/orders/1234 200 12ms user=alice trace=4bf92f3577b34da6a3ce929d0e0e4736 '; print((t*3)[:99])")
{ echo "processes:"; echo "  flood: {command: \"exec yes '$line'\"}"; for i in $(seq -w 0 49); do echo "  p$i: {command: exec sleep 3600}"; done; } > "$out/stack/brummer.yaml"
sinkport=$((20000 + RANDOM % 20000))
python3 "$here/otlp-sink.py" "$sinkport" & sink=$!
up=
trap 'kill $sink 2>/dev/null || true; [ -n "$up" ] && kill -TERM $up 2>/dev/null && wait $up 2>/dev/null || true' EXIT
for config in "${configs[@]}"; do
  env=(env -u OTEL_EXPORTER_OTLP_ENDPOINT -u OTEL_EXPORTER_OTLP_PROTOCOL); args=()
  case $config in
    on) env+=(OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:$sinkport OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf) ;;
    on-nologs) env+=(OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:$sinkport OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf); args=(--otel-logs off) ;;
  esac
  port=$((20000 + RANDOM % 20000))
  "${env[@]}" dotnet "$dll" up --node local --dir "$out/stack" --port "$port" "${args[@]}" > "$out/$config-up.log" 2>&1 &
  up=$!
  url="http://127.0.0.1:$port"
  for _ in $(seq 1 120); do
    running=$(curl -s "$url/api/processes" | grep -o '"status":"running"' | wc -l || true)
    [ "$running" -ge 51 ] && break; sleep 1
  done
  sleep 10
  [ "$running" -ge 51 ] || { echo "$config: only $running processes running; see $out/$config-up.log" >&2; exit 1; }
  seq0=$(curl -s "$url/api/logs/local/flood?lines=1" | grep -o '"last_seq":[0-9]*' | cut -d: -f2)
  dotnet-counters collect -p "$up" --counters System.Runtime --refresh-interval 1 --format csv -o "$out/$config-counters.csv" --duration 00:00:15 > /dev/null
  seq1=$(curl -s "$url/api/logs/local/flood?lines=1" | grep -o '"last_seq":[0-9]*' | cut -d: -f2)
  echo "$config: $(( (seq1 - seq0) / 15 )) lines/s ingested during the counters (load $(cut -d' ' -f1-3 /proc/loadavg))" | tee -a "$out/summary.txt"
  dotnet-trace collect -p "$up" --profile dotnet-sampled-thread-time --duration 00:00:10 -o "$out/$config.nettrace" > /dev/null 2>&1 || true
  dotnet-trace report "$out/$config.nettrace" topN -n 40 > "$out/$config-top.txt" 2>&1 || true
  dotnet-trace report "$out/$config.nettrace" topN -n 60 --inclusive > "$out/$config-top-inclusive.txt" 2>&1 || true
  curl -s "$url/metrics" | grep -E '^brummer_process_log_export' > "$out/$config-export-metrics.txt" || true
  kill -TERM $up; wait $up || true; up=
done
