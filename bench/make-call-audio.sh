#!/usr/bin/env bash
# A call-like recording for benchmarks: two espeak-ng voices taking turns, sentences separated
# by pauses (short inside a turn, longer between turns) so that 30–40 % of the time is pause,
# light background noise under everything. Deterministic for a given seed.
#
#   bash bench/make-call-audio.sh OUT.wav [SECONDS=300] [SEED=1]
#
# Prints the speech and pause shares. Needs espeak-ng, sox, soxi, awk.
set -euo pipefail
out=${1:?usage: make-call-audio.sh OUT.wav [SECONDS] [SEED]}
target_s=${2:-300}
seed=${3:-1}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
SOX=(sox -R -D)

sentences=(
  "Hello, thanks for calling, how can I help you today?"
  "Hi, I am calling about the invoice I received last week."
  "Sure, can you give me the account number on the invoice?"
  "Yes, it is four seven two, nine one eight, three three five."
  "Thank you. I can see two charges for the same month."
  "That is exactly the problem, I was billed twice for March."
  "I am sorry about that. Let me check what happened."
  "It looks like the payment was retried after a timeout."
  "So will I get the second payment back?"
  "Yes, I will start a refund right now, it takes three to five days."
  "Great. Can you also send me a corrected invoice by email?"
  "Of course. Is the address on file still correct?"
  "No, I moved in January, the new address is twelve Park Lane."
  "Thanks, I have updated it. Anything else I can help with?"
  "Actually yes, I wanted to ask about the new pricing plan."
  "The new plan includes unlimited calls and costs a little more per month."
  "Is there a discount if I pay for the whole year?"
  "There is, you would save about fifteen percent with annual billing."
  "That sounds good, but I need to talk to my partner first."
  "No problem, I can send you a summary of the options."
  "Please do. And what happens to my current contract?"
  "Your current contract ends in June, you can switch at any time before that."
  "Okay. One more thing, the app keeps logging me out."
  "That is usually fixed by updating to the latest version."
  "I will try that tonight. Thank you for your patience."
  "You are welcome. Have a nice evening."
)
voices=("en-us" "en-us+f3")
pitches=(45 60)
speeds=(165 150)

# plan: sentence k by speaker k%2 … with a pause after it; awk draws the pauses from the seed
awk -v seed="$seed" -v n=400 'BEGIN {
  srand(seed); speaker = 0
  for (k = 0; k < n; k++) {
    # a turn is 1–3 sentences; pauses inside a turn 0.5–1.5 s, between turns 1.0–3.0 s
    if (k == 0 || left == 0) { left = 1 + int(rand() * 3); if (k > 0) speaker = 1 - speaker }
    left--
    pause = (left == 0) ? 1.0 + rand() * 2.0 : 0.5 + rand() * 1.0
    printf "%d %d %.3f\n", k, speaker, pause
  }
}' >"$work/plan"

total=0
speech=0
list=()
while read -r k speaker pause; do
  text=${sentences[$((k % ${#sentences[@]}))]}
  espeak-ng -v "${voices[$speaker]}" -p "${pitches[$speaker]}" -s "${speeds[$speaker]}" -w "$work/raw.wav" "$text"
  # 16 kHz mono, leading and trailing silence trimmed, then the pause appended
  "${SOX[@]}" "$work/raw.wav" -r 16000 -c 1 -b 16 "$work/clip.wav" silence 1 0.01 0.5% reverse silence 1 0.01 0.5% reverse
  clip_s=$(soxi -D "$work/clip.wav")
  "${SOX[@]}" "$work/clip.wav" "$work/s$k.wav" pad 0 "$pause"
  list+=("$work/s$k.wav")
  speech=$(awk -v a="$speech" -v b="$clip_s" 'BEGIN { print a + b }')
  total=$(awk -v a="$total" -v b="$clip_s" -v c="$pause" 'BEGIN { print a + b + c }')
  if awk -v t="$total" -v m="$target_s" 'BEGIN { exit !(t >= m) }'; then break; fi
done <"$work/plan"

"${SOX[@]}" "${list[@]}" "$work/speech.wav"
"${SOX[@]}" -n -r 16000 -c 1 -b 16 "$work/noise.wav" synth "$(soxi -D "$work/speech.wav")" brownnoise vol 0.03
"${SOX[@]}" -m "$work/speech.wav" "$work/noise.wav" -b 16 "$out"
awk -v s="$speech" -v t="$total" -v f="$out" 'BEGIN { printf "%s: %.1f s, speech %.1f s (%.0f %%), pauses %.0f %%\n", f, t, s, 100 * s / t, 100 - 100 * s / t }'
