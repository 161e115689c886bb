#!/usr/bin/env bash
# Fan-out by hand (issue 7 §2): turnaround of one generated long file, and each worker's peak RSS.
#
#   bash bench/fanout-measure.sh MINUTES WORKERS [FANOUT_MIN_S] [FANOUT_CHUNK_S]
#
#   bash bench/fanout-measure.sh 30 1          # 30-minute file, one worker, fan-out on (600/300)
#   bash bench/fanout-measure.sh 30 2          # the same on two workers
#   bash bench/fanout-measure.sh 120 2         # 2-hour file: peak RSS of each worker
#   bash bench/fanout-measure.sh 120 1 0       # 2-hour file, fan-out off: one worker holds it all
#
# PIN=1 gives worker i one core of its own (taskset -c i-1, EARSHOT_THREADS=1), as a fleet of
# one-core workers would have; without it every worker uses every core of this machine.
#
# Needs a build (npx tsc -b), Redis on 127.0.0.1:6379, sox, and the tiny model in .cache/models/tiny
# (npm test makes it). The file is en-60s.wav + long-45s.wav from .cache/test-audio, repeated and cut
# to MINUTES. Everything runs on this machine with its own Redis prefixes, queue and fs store under a
# temp dir, removed at the end. Prints the job's turnaround (record createdAt → finishedAt) and each
# worker's VmHWM (peak resident set, from /proc/<pid>/status just before it is stopped).
set -euo pipefail
MINUTES=${1:?minutes}
WORKERS=${2:?workers}
MIN_S=${3:-600}
CHUNK_S=${4:-300}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUN=measure-$$
DIR=$(mktemp -d "/tmp/earshot-$RUN-XXXX")
PORT=${PORT:-18480}
KEY=$RUN-key
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  redis-cli --scan --pattern "$RUN:*" | xargs -r redis-cli del >/dev/null
  redis-cli --scan --pattern "$RUN-bull:*" | xargs -r redis-cli del >/dev/null
  rm -rf "$DIR"
}
trap cleanup EXIT

# The file: the two generated speech files, repeated and cut to MINUTES.
REPS=$(( (MINUTES * 60 + 107) / 108 ))
PARTS=()
for _ in $(seq "$REPS"); do PARTS+=("$ROOT/.cache/test-audio/en-60s.wav" "$ROOT/.cache/test-audio/long-45s.wav"); done
sox "${PARTS[@]}" "$DIR/long.wav" trim 0 $(( MINUTES * 60 ))
echo "file: $(soxi -D "$DIR/long.wav") s, $(du -h "$DIR/long.wav" | cut -f1)"

export REDIS_URL=redis://127.0.0.1:6379 EARSHOT_KEY_PREFIX="$RUN:" EARSHOT_QUEUE_PREFIX="$RUN-bull" EARSHOT_QUEUE="$RUN-q" \
  EARSHOT_WEBHOOK_QUEUE="$RUN-hooks" EARSHOT_STORAGE=fs EARSHOT_DATA_DIR="$DIR/data" EARSHOT_MODEL_DIR="$ROOT/.cache/models/tiny" \
  EARSHOT_FANOUT_MIN_S="$MIN_S" EARSHOT_FANOUT_CHUNK_S="$CHUNK_S" EARSHOT_WORKER_METRICS_PORT=0 EARSHOT_LOG_LEVEL=info

ready() { # file message
  for _ in $(seq 600); do grep -q "\"msg\":\"$2\"" "$1" && return 0; sleep 0.1; done
  echo "not ready: $1" >&2; tail -20 "$1" >&2; exit 1
}
EARSHOT_HOST=127.0.0.1 EARSHOT_PORT=$PORT EARSHOT_API_KEYS="$KEY:measure" node "$ROOT/apps/api/dist/main.js" >"$DIR/api.log" 2>&1 &
PIDS+=($!)
WORKER_PIDS=()
for i in $(seq "$WORKERS"); do
  if [[ ${PIN:-0} == 1 ]]; then
    EARSHOT_THREADS=1 taskset -c $(( (i - 1) % $(nproc) )) node "$ROOT/apps/worker/dist/main.js" >"$DIR/worker-$i.log" 2>&1 &
  else
    node "$ROOT/apps/worker/dist/main.js" >"$DIR/worker-$i.log" 2>&1 &
  fi
  PIDS+=($!); WORKER_PIDS+=($!)
done
ready "$DIR/api.log" 'earshot api listening'
for i in $(seq "$WORKERS"); do ready "$DIR/worker-$i.log" 'worker ready'; done
for pid in "${WORKER_PIDS[@]}"; do echo "worker pid $pid ready: $(grep VmHWM /proc/$pid/status | tr -s ' \t' ' ')"; done

ID=$(curl -sf -H "authorization: Bearer $KEY" -F "file=@$DIR/long.wav" "http://127.0.0.1:$PORT/v1/jobs" | node -e 'process.stdin.on("data", d => console.log(JSON.parse(d).id))')
echo "job $ID: fan-out min ${MIN_S}s, chunks ~${CHUNK_S}s, $WORKERS worker(s)"
while :; do
  JOB=$(curl -sf -H "authorization: Bearer $KEY" "http://127.0.0.1:$PORT/v1/jobs/$ID")
  STATUS=$(node -e 'console.log(JSON.parse(process.argv[1]).status)' "$JOB")
  [[ $STATUS == completed || $STATUS == failed || $STATUS == canceled ]] && break
  sleep 0.5
done
node -e '
  const j = JSON.parse(process.argv[1]);
  const s = (Date.parse(j.finishedAt) - Date.parse(j.createdAt)) / 1000;
  console.log(`status ${j.status}, turnaround ${s.toFixed(1)} s (started after ${((Date.parse(j.startedAt) - Date.parse(j.createdAt)) / 1000).toFixed(1)} s), chunks ${JSON.stringify(j.chunks)}, segments ${j.result?.segments}`);
  console.log(`timings ${JSON.stringify(j.timings)}`);' "$JOB"
for i in $(seq "$WORKERS"); do
  pid=${WORKER_PIDS[$((i - 1))]}
  chunks=$(grep -c '"msg":"chunk transcribed"' "$DIR/worker-$i.log" || true)
  split=$(grep -c '"msg":"job split into chunks"' "$DIR/worker-$i.log" || true)
  echo "worker $i (pid $pid): $(grep VmHWM /proc/$pid/status | tr -s ' \t' ' '), chunks transcribed $chunks, splits $split"
done
