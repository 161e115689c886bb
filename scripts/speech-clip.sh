#!/usr/bin/env bash
# One sentence of deterministic speech: espeak-ng with VOICE at SPEED words per minute, turned into
# 16 kHz mono 16-bit (sox without dither: `-D`; `-R` for a fixed seed) at 0.8 × its level and trimmed
# of its own leading/trailing silence, so the file starts and ends on the sentence's first and last
# audible sample. Used by scripts/make-test-audio.sh and bench/fixtures/call-audio.ts.
#
# Usage: scripts/speech-clip.sh VOICE SPEED TEXT OUT.wav
# (Mandarin: VOICE cmn-latn-pinyin, because `-v cmn` reads pinyin with English rules.)
set -euo pipefail
if [[ $# -ne 4 ]]; then
  echo "usage: $0 VOICE SPEED TEXT OUT.wav" >&2
  exit 2
fi
readonly VOICE=$1 SPEED=$2 TEXT=$3 OUT=$4
RAW=$(mktemp "${OUT%.wav}.raw-XXXXXX.wav")
trap 'rm -f "$RAW"' EXIT
espeak-ng -v "$VOICE" -s "$SPEED" -w "$RAW" "$TEXT"
sox -R -D -v 0.8 "$RAW" -r 16000 -c 1 -b 16 "$OUT" silence 1 0.02 0.5% reverse silence 1 0.02 0.5% reverse
