#!/usr/bin/env bash
# Generates Earshot's deterministic test audio into OUTDIR, with OUTDIR/manifest.json describing
# every file: duration, format, and the exact intervals where speech (and silence/noise/tones) was
# placed. Speech is espeak-ng (en-us; Mandarin with cmn-latn-pinyin, because `-v cmn` reads pinyin
# with English rules), each sentence synthesized alone and trimmed of its own leading/trailing
# silence, so an interval's start/end is where the sentence's first/last audible sample is.
#
# Usage: scripts/make-test-audio.sh OUTDIR
#
# Idempotent: exits at once when OUTDIR/manifest.json exists with this SCRIPT_VERSION and every file
# it lists is present. Bump SCRIPT_VERSION on any change to the output. Safe to run concurrently
# (flock on OUTDIR/.lock); files are built in a private work dir and the manifest is written last.
#
# Byte-identical output: `sox -D` (no dither) and `-R` (fixed seed for noise), espeak-ng is
# deterministic, ffmpeg runs with +bitexact (no version strings, fixed Ogg serial numbers).
# Needs: espeak-ng, sox/soxi, ffmpeg, md5sum, awk (+ flock if present).
set -euo pipefail
shopt -s extglob

readonly SCRIPT_VERSION=3
readonly RATE=16000
readonly SPEED=160 # espeak-ng words per minute
readonly SOX=(sox -R -D)
readonly FFMPEG=(ffmpeg -nostdin -y -v error)
readonly BITEXACT=(-map_metadata -1 -fflags +bitexact -flags:a +bitexact)
SPEECH_CLIP="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/speech-clip.sh"
readonly SPEECH_CLIP

readonly WAV_FILES=(en.wav zh.wav en-zh-silence.wav long-45s.wav stereo-48k.wav music-tones.wav en-60s.wav
  silence.wav noise-only.wav empty.wav call-stereo.wav call-one-side.wav)
readonly OTHER_FILES=(en-zh-silence.mp3 en-zh-silence.ogg en-zh-silence.flac corrupt.mp3 random.bin call-stereo.flac)

if [[ $# -ne 1 || -z $1 ]]; then
  echo "usage: $0 OUTDIR" >&2
  exit 2
fi
OUTDIR=$1
mkdir -p "$OUTDIR"
OUTDIR=$(cd "$OUTDIR" && pwd)

up_to_date() {
  [[ -f $OUTDIR/manifest.json ]] || return 1
  grep -q "\"scriptVersion\": $SCRIPT_VERSION," "$OUTDIR/manifest.json" || return 1
  local f
  for f in "${WAV_FILES[@]}" "${OTHER_FILES[@]}"; do [[ -f $OUTDIR/$f ]] || return 1; done
}

if up_to_date; then exit 0; fi
if command -v flock > /dev/null; then
  exec 9> "$OUTDIR/.lock"
  flock 9
  if up_to_date; then exit 0; fi # another run finished while we waited
fi

for tool in espeak-ng sox soxi ffmpeg md5sum awk; do
  command -v "$tool" > /dev/null || { echo "make-test-audio: '$tool' is required" >&2; exit 1; }
done

WORK=$(mktemp -d "$OUTDIR/.work.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
rm -f "$OUTDIR/manifest.json"

# ---------- helpers ----------

# 16 kHz samples → seconds, exact (a multiple of 1/16000 s needs at most 7 decimals), pure bash
# (sample × 625 = units of 1e-7 s; valid for RATE=16000 only).
seconds() {
  local t=$(($1 * 625)) frac
  printf -v frac '%07d' $((t % 10000000))
  frac=${frac%%+(0)}
  printf '%s' "$((t / 10000000))${frac:+.$frac}"
}

declare -A SAMPLES_OF=() # FILE -> sample count; parts never change once written
count_samples() { [[ -n ${SAMPLES_OF[$1]:-} ]] || SAMPLES_OF[$1]=$(soxi -s "$1"); }

json_string() { # minimal escaping: our texts never hold control characters
  local s=${1//\\/\\\\}
  printf '"%s"' "${s//\"/\\\"}"
}

# Trimmed 16 kHz mono 16-bit clip of one sentence (scripts/speech-clip.sh); prints its path (cached
# by voice/speed/text). VOICE overrides the language's default voice (e.g. en-gb+f3).
clip() {
  local lang=$1 text=$2 voice=${3:-} key
  if [[ -z $voice ]]; then
    case $lang in
      en) voice=en-us ;;
      zh) voice=cmn-latn-pinyin ;;
      *) echo "clip: unknown language $lang" >&2; return 1 ;;
    esac
  fi
  key=$(printf '%s|%s|%s' "$voice" "$SPEED" "$text" | md5sum | cut -c1-16)
  [[ -f $WORK/clip-$key.wav ]] || "$SPEECH_CLIP" "$voice" "$SPEED" "$text" "$WORK/clip-$key.wav"
  printf '%s' "$WORK/clip-$key.wav"
}

silence_part() { # DUR -> path
  local out="$WORK/sil-$1.wav"
  [[ -f $out ]] || "${SOX[@]}" -n -r "$RATE" -c 1 -b 16 "$out" trim 0 "$1"
  printf '%s' "$out"
}

noise_part() { # DUR VOL -> path
  local out="$WORK/noise-$1-$2.wav"
  [[ -f $out ]] || "${SOX[@]}" -n -r "$RATE" -c 1 -b 16 "$out" synth "$1" whitenoise vol "$2"
  printf '%s' "$out"
}

# Music-like bed: a chord progression (3 sines per chord), 0.5 s per chord with a fade envelope.
tones_part() { # DUR -> path
  local dur=$1 out="$WORK/tones-$1.wav" chords i=0 parts=()
  if [[ ! -f $out ]]; then
    chords=("261.63 329.63 392.00" "349.23 440.00 523.25" "392.00 493.88 587.33" "220.00 261.63 329.63")
    local n
    n=$(awk -v d="$dur" 'BEGIN { printf "%d", (d / 0.5) + 1 }')
    for ((i = 0; i < n; i++)); do
      local c=${chords[$((i % 4))]} part="$WORK/chord-$i.wav"
      # shellcheck disable=SC2086
      set -- $c
      [[ -f $part ]] || "${SOX[@]}" -r "$RATE" -c 3 -n -c 1 -b 16 "$part" synth 0.5 sine "$1" sine "$2" sine "$3" \
        remix - fade q 0.03 0.5 0.2 vol 0.6
      parts+=("$part")
    done
    "${SOX[@]}" "${parts[@]}" "$out" trim 0 "$dur"
  fi
  printf '%s' "$out"
}

# ---------- timeline: parts concatenated at 16 kHz, intervals tracked in samples ----------

tl_begin() { TL_PARTS=(); TL_SAMPLES=0; TL_SPEECH=(); TL_OTHER=(); }

tl_push() { # FILE KIND [LANG TEXT [BACKGROUND]]
  local file=$1 kind=$2 n start end
  count_samples "$file"
  n=${SAMPLES_OF[$file]}
  start=$TL_SAMPLES
  end=$((start + n))
  TL_SAMPLES=$end
  TL_PARTS+=("$file")
  tl_mark "$kind" "$start" "$end" "${@:3}"
}

tl_mark() { # KIND START_SAMPLE END_SAMPLE [LANG TEXT [BACKGROUND]]: record without adding audio
  local kind=$1 start=$2 end=$3 json
  json="{\"startS\": $(seconds "$start"), \"endS\": $(seconds "$end")"
  if [[ $kind == speech ]]; then
    json+=", \"language\": \"$4\", \"text\": $(json_string "$5")"
    [[ -n ${6:-} ]] && json+=", \"background\": \"$6\""
    TL_SPEECH+=("$json}")
  else
    TL_OTHER+=("$json, \"kind\": \"$kind\"}")
  fi
}

tl_silence() { tl_push "$(silence_part "$1")" silence; }
tl_noise() { tl_push "$(noise_part "$1" "$2")" noise; }
tl_say() { tl_push "$(clip "$1" "$2")" speech "$1" "$2"; }

join_json() { local IFS=,; printf '[%s]' "$*"; }

MANIFEST=()
manifest_entry() { # NAME FORMAT SAMPLE_RATE CHANNELS BITS DURATION SPEECH_JSON OTHER_JSON [EXTRA_JSON_FIELDS]
  MANIFEST+=("$(json_string "$1"): {\"format\": \"$2\", \"sampleRate\": $3, \"channels\": $4, \"bitsPerSample\": $5, \"durationS\": $6, \"speech\": $7, \"nonSpeech\": $8${9:+, $9}}")
}

tl_write() { # NAME: concatenates the parts into WORK/out/NAME (16 kHz mono 16-bit) + manifest entry
  "${SOX[@]}" "${TL_PARTS[@]}" "$WORK/out/$1"
  manifest_entry "$1" wav "$RATE" 1 16 "$(seconds "$TL_SAMPLES")" \
    "$(join_json "${TL_SPEECH[@]}")" "$(join_json "${TL_OTHER[@]}")"
}

mkdir -p "$WORK/out"

# ---------- texts ----------

readonly EN_A="The quick brown fox jumps over the lazy dog."
readonly EN_B="Please call me back tomorrow morning."
readonly ZH_A="欢迎使用语音识别系统。"
readonly ZH_B="今天天气很好。"

# ---------- en.wav, zh.wav ----------

tl_begin; tl_silence 0.3; tl_say en "$EN_A"; tl_silence 0.5; tl_say en "$EN_B"; tl_silence 0.3; tl_write en.wav
tl_begin; tl_silence 0.3; tl_say zh "$ZH_A"; tl_silence 0.5; tl_say zh "$ZH_B"; tl_silence 0.3; tl_write zh.wav

# ---------- en-zh-silence.wav (+ encoded copies) ----------

tl_begin
tl_silence 1.0; tl_say en "$EN_A"; tl_silence 2.0; tl_say zh "$ZH_A"; tl_noise 1.5 0.02; tl_silence 1.0
tl_write en-zh-silence.wav
EZS_SPEECH=$(join_json "${TL_SPEECH[@]}")
EZS_OTHER=$(join_json "${TL_OTHER[@]}")
EZS_DURATION=$(seconds "$TL_SAMPLES")

# The decoded copies have exactly the source's samples (checked with ffmpeg 5.1: mp3 with its
# LAME/Info gapless tag, opus with its pre-skip), so they share its duration and intervals.
"${FFMPEG[@]}" -i "$WORK/out/en-zh-silence.wav" "${BITEXACT[@]}" -c:a libmp3lame -b:a 64k "$WORK/out/en-zh-silence.mp3"
"${FFMPEG[@]}" -i "$WORK/out/en-zh-silence.wav" "${BITEXACT[@]}" -c:a libopus -b:a 32k "$WORK/out/en-zh-silence.ogg"
"${FFMPEG[@]}" -i "$WORK/out/en-zh-silence.wav" "${BITEXACT[@]}" -c:a flac "$WORK/out/en-zh-silence.flac"
manifest_entry en-zh-silence.mp3 mp3 "$RATE" 1 null "$EZS_DURATION" "$EZS_SPEECH" "$EZS_OTHER" \
  '"codec": "mp3", "source": "en-zh-silence.wav"'
manifest_entry en-zh-silence.ogg ogg 48000 1 null "$EZS_DURATION" "$EZS_SPEECH" "$EZS_OTHER" \
  '"codec": "opus", "source": "en-zh-silence.wav"'
manifest_entry en-zh-silence.flac flac "$RATE" 1 16 "$EZS_DURATION" "$EZS_SPEECH" "$EZS_OTHER" \
  '"codec": "flac", "source": "en-zh-silence.wav"'

# ---------- long-45s.wav: sentences separated by pauses of 0.3 … 1.5 s ----------

LONG_TEXTS=(
  "en|Speech recognition turns recorded audio into written text that people can search."
  "en|The weekly meeting will start at nine in the morning in the large room."
  "zh|我们明天下午三点在会议室见面。"
  "en|Every segment of the recording is decoded separately by the model."
  "en|Long recordings are split into shorter pieces at natural pauses between sentences."
  "en|She sells sea shells by the sea shore on sunny summer days."
  "zh|这个系统可以识别中文和英文。"
  "en|A good transcript also marks laughter and applause and background music."
  "en|The weather today is sunny with a light breeze from the west."
  "en|Thank you very much for listening and have a wonderful day."
)
LONG_PAUSES=(0.3 1.2 0.5 1.5 0.4 0.8 1.0 0.6 1.3)
tl_begin
tl_silence 0.5
for i in "${!LONG_TEXTS[@]}"; do
  entry=${LONG_TEXTS[$i]}
  tl_say "${entry%%|*}" "${entry#*|}"
  if ((i < ${#LONG_PAUSES[@]})); then tl_silence "${LONG_PAUSES[$i]}"; fi
done
tl_silence 0.5
tl_write long-45s.wav

# ---------- en-60s.wav: English with short natural pauses (benchmarks) ----------

EN60_TEXTS=(
  "Good morning everyone and welcome to the quarterly review."
  "Today we will look at sales, hiring, and the product roadmap."
  "Sales grew by twelve percent compared with the same quarter last year."
  "Most of the growth came from customers in Europe and Asia."
  "We hired fourteen new engineers and two new designers."
  "The support team answered more than three thousand questions."
  "Our average response time dropped to under two hours."
  "Next quarter we plan to release the new mobile application."
  "The beta version is already being tested by a small group of users."
  "Their feedback has been very positive so far."
  "We also want to improve the speed of the search feature."
  "Finally, the office will move to a new building in the spring."
  "The new space has more meeting rooms and a larger kitchen."
  "Please send your questions to the team before Friday."
  "We will answer all of them in the next meeting."
  "Thank you all for your hard work during this quarter."
  "Let us keep up the good work and see you next time."
)
EN60_PAUSES=(0.35 0.5 0.25 0.4 0.3 0.45 0.25 0.5 0.3 0.35 0.4 0.3 0.25 0.45 0.3 0.4)
tl_begin
tl_silence 0.4
for i in "${!EN60_TEXTS[@]}"; do
  tl_say en "${EN60_TEXTS[$i]}"
  if ((i < ${#EN60_PAUSES[@]})); then tl_silence "${EN60_PAUSES[$i]}"; fi
done
tl_silence 0.4
tl_write en-60s.wav

# ---------- stereo-48k.wav: 48 kHz, 2 channels (right = 0.7 × left), 24-bit ----------

tl_begin; tl_silence 0.5; tl_say en "$EN_B"; tl_silence 0.6; tl_say zh "$ZH_B"; tl_silence 0.5
"${SOX[@]}" "${TL_PARTS[@]}" -r 48000 -b 24 "$WORK/out/stereo-48k.wav" remix 1 1v0.7
manifest_entry stereo-48k.wav wav 48000 2 24 "$(seconds "$TL_SAMPLES")" \
  "$(join_json "${TL_SPEECH[@]}")" "$(join_json "${TL_OTHER[@]}")"

# ---------- music-tones.wav: tones alone, then speech with tones under it ----------

tl_begin
tl_silence 0.5
tl_push "$(tones_part 3.0)" tones
tl_silence 0.7
# speech with 0.5 s of bed before and after it, mixed (speech × 0.9, bed × 0.5)
MT_CLIP=$(clip en "$EN_A")
MT_CLIP_SAMPLES=$(soxi -s "$MT_CLIP")
MT_BED_S=$(awk -v n="$MT_CLIP_SAMPLES" -v r="$RATE" 'BEGIN { printf "%.6f", n / r + 1.0 }')
"${SOX[@]}" "$(silence_part 0.5)" "$MT_CLIP" "$(silence_part 0.5)" "$WORK/mt-speech.wav"
"${SOX[@]}" -m -v 0.9 "$WORK/mt-speech.wav" -v 0.5 "$(tones_part "$MT_BED_S")" "$WORK/mt-mixed.wav"
MT_START=$TL_SAMPLES
TL_PARTS+=("$WORK/mt-mixed.wav")
TL_SAMPLES=$((TL_SAMPLES + $(soxi -s "$WORK/mt-mixed.wav")))
tl_mark tones "$MT_START" $((MT_START + RATE / 2))
tl_mark speech $((MT_START + RATE / 2)) $((MT_START + RATE / 2 + MT_CLIP_SAMPLES)) en "$EN_A" tones
tl_mark tones $((MT_START + RATE / 2 + MT_CLIP_SAMPLES)) "$TL_SAMPLES"
tl_silence 0.5
tl_write music-tones.wav

# ---------- call-stereo.wav, call-one-side.wav: two-channel calls (agent left, customer right) ----------
# Each side is its own track of sentences placed at fixed times in digital silence (no noise bed:
# a quiet side is exactly zero), in its own espeak-ng voice. The customer's side is silent for the
# first 6 s, and turns overlap (the customer talks over the agent's second sentence). The
# manifest's speech intervals carry their `channel`. call-one-side.wav is the agent's track with a
# right channel that is silent throughout. call-stereo.flac is call-stereo.wav losslessly encoded
# (the ffmpeg path of per-channel decoding).

readonly CALL_S=22
readonly AGENT_VOICE=en-us+m3 CUSTOMER_VOICE=en-gb+f3
CALL_AGENT=("0.5|Thank you for calling the support line, how can I help you today?"
  "8.0|I understand, let me look at your account right now."
  "14.0|Your refund was sent this morning and should arrive soon.")
CALL_CUSTOMER=("6.0|My order arrived broken and nobody answers my emails."
  "18.0|Thank you, that is all I needed.")

call_track() { # VOICE CHANNEL OUT ENTRY...: sentences at their start times, then silence to CALL_S
  local voice=$1 channel=$2 out=$3 entry at target json
  shift 3
  tl_begin
  for entry in "$@"; do
    at=${entry%%|*}
    target=$(awk -v s="$at" -v r="$RATE" 'BEGIN { printf "%d", s * r }')
    ((target > TL_SAMPLES)) && tl_push "$(silence_samples $((target - TL_SAMPLES)))" silence
    tl_push "$(clip en "${entry#*|}" "$voice")" speech en "${entry#*|}"
  done
  tl_push "$(silence_samples $((CALL_S * RATE - TL_SAMPLES)))" silence
  "${SOX[@]}" "${TL_PARTS[@]}" "$out"
  for json in "${TL_SPEECH[@]}"; do CALL_SPEECH+=("${json%\}}, \"channel\": $channel, \"voice\": \"$voice\"}"); done
}

silence_samples() { # SAMPLES -> path
  local out="$WORK/sil-$1s.wav"
  [[ -f $out ]] || "${SOX[@]}" -n -r "$RATE" -c 1 -b 16 "$out" trim 0 "$(seconds "$1")"
  printf '%s' "$out"
}

CALL_SPEECH=()
call_track "$AGENT_VOICE" 0 "$WORK/call-agent.wav" "${CALL_AGENT[@]}"
AGENT_SPEECH=("${CALL_SPEECH[@]}")
call_track "$CUSTOMER_VOICE" 1 "$WORK/call-customer.wav" "${CALL_CUSTOMER[@]}"
"${SOX[@]}" -M "$WORK/call-agent.wav" "$WORK/call-customer.wav" "$WORK/out/call-stereo.wav"
manifest_entry call-stereo.wav wav "$RATE" 2 16 "$CALL_S" "$(join_json "${CALL_SPEECH[@]}")" '[]'
"${SOX[@]}" -M "$WORK/call-agent.wav" "$(silence_samples $((CALL_S * RATE)))" "$WORK/out/call-one-side.wav"
manifest_entry call-one-side.wav wav "$RATE" 2 16 "$CALL_S" "$(join_json "${AGENT_SPEECH[@]}")" '[]'
"${FFMPEG[@]}" -i "$WORK/out/call-stereo.wav" "${BITEXACT[@]}" -c:a flac "$WORK/out/call-stereo.flac"
manifest_entry call-stereo.flac flac "$RATE" 2 16 "$CALL_S" "$(join_json "${CALL_SPEECH[@]}")" '[]' \
  '"codec": "flac", "source": "call-stereo.wav"'

# ---------- silence, noise, empty ----------

tl_begin; tl_silence 2.0; tl_write silence.wav
tl_begin; tl_noise 2.0 0.02; tl_write noise-only.wav
"${SOX[@]}" -n -r "$RATE" -c 1 -b 16 "$WORK/out/empty.wav" trim 0 0
manifest_entry empty.wav wav "$RATE" 1 16 0 '[]' '[]'

# ---------- invalid inputs ----------

# Deterministic pseudo-random bytes from sox's seeded noise generator (8-bit raw).
random_bytes() { # COUNT OUT
  "${SOX[@]}" -n -r 8000 -c 1 -b 8 -e signed -t raw "$WORK/noise.raw" synth 1 whitenoise
  head -c "$1" "$WORK/noise.raw" > "$2"
}

# corrupt.mp3: an empty ID3v2.4 tag and one real MPEG-2 layer III frame header (taken from an mp3
# encoded here), then 4,000 bytes of garbage. ffmpeg 5.1 refuses it (exit 1, no samples).
"${FFMPEG[@]}" -i "$(clip en "$EN_B")" "${BITEXACT[@]}" -id3v2_version 0 -write_xing 0 -c:a libmp3lame -b:a 64k \
  "$WORK/plain.mp3"
random_bytes 4000 "$WORK/garbage.bin"
{ printf 'ID3\x04\x00\x00\x00\x00\x00\x00'; head -c 4 "$WORK/plain.mp3"; cat "$WORK/garbage.bin"; } > "$WORK/out/corrupt.mp3"
manifest_entry corrupt.mp3 mp3 null null null null '[]' '[]' '"invalid": true'

# random.bin: 4,096 bytes that match no audio format.
random_bytes 4081 "$WORK/random-tail.bin"
{ printf 'EARSHOT-RANDOM\n'; cat "$WORK/random-tail.bin"; } > "$WORK/out/random.bin"
manifest_entry random.bin unknown null null null null '[]' '[]' '"invalid": true'

# ---------- manifest ----------

{
  printf '{\n  "scriptVersion": %s,\n' "$SCRIPT_VERSION"
  printf '  "generator": "scripts/make-test-audio.sh",\n'
  printf '  "tools": {"espeakNg": %s, "sox": %s, "ffmpeg": %s},\n' \
    "$(json_string "$(espeak-ng --version | awk '{ print $4 }')")" \
    "$(json_string "$(sox --version | awk '{ print $NF }')")" \
    "$(json_string "$(ffmpeg -version | awk 'NR == 1 { print $3 }')")"
  printf '  "files": {\n'
  for i in "${!MANIFEST[@]}"; do
    printf '    %s%s\n' "${MANIFEST[$i]}" "$([[ $i -lt $((${#MANIFEST[@]} - 1)) ]] && printf ',')"
  done
  printf '  }\n}\n'
} > "$WORK/manifest.json"

for f in "${WAV_FILES[@]}" "${OTHER_FILES[@]}"; do mv -f "$WORK/out/$f" "$OUTDIR/$f"; done
mv -f "$WORK/manifest.json" "$OUTDIR/manifest.json"
