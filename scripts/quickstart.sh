#!/usr/bin/env bash
# One command for a newcomer: install everything (Debian packages, npm ci, build,
# Redis), make sample speech with espeak-ng, and transcribe it with the CLI.
# Uses the real SenseVoice model if models/sensevoice holds one (see
# `npm run model:download`); otherwise generates a SYNTHETIC model with random
# weights, whose output is clearly labelled and is not a transcription.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/make-test-audio.sh .cache/test-audio >/dev/null
MODEL_DIR=${EARSHOT_MODEL_DIR:-models/sensevoice}
if [[ ! -f "$MODEL_DIR/tokens.txt" ]]; then
  echo "quickstart: no real model in $MODEL_DIR; generating a synthetic tiny model (random weights)" >&2
  MODEL_DIR=models/synthetic-tiny
  node packages/modelgen/dist/main.js --size tiny --out "$MODEL_DIR" >&2
fi
SAMPLE=.cache/test-audio/en-zh-silence.wav
echo "quickstart: earshot transcribe $SAMPLE --model $MODEL_DIR" >&2
node apps/cli/dist/main.js transcribe "$SAMPLE" --model "$MODEL_DIR" --format rich
node apps/cli/dist/main.js transcribe "$SAMPLE" --model "$MODEL_DIR" --format srt --tags
echo "quickstart: done. JSON with timelines: add --format json. The service: npm run dev (see README)." >&2
