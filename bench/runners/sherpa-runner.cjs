// Child side of a benchmark runner (bench/lib/runner-process.ts) for sherpa-onnx-node: its
// SenseVoice OfflineRecognizer, and its own VAD + ASR pipeline built the way sherpa-onnx's Node
// examples build it. Its own process: sherpa-onnx bundles an onnxruntime that must not share a
// process with onnxruntime-node.
//
// Ops:
//   loadRecognizer { model, tokens, threads } -> { loadMs }
//   decodeSpans { file, spans: [{ startS, endS }] } -> { wallMs }       (read + one stream per span)
//   pipeline { file, vadModel } -> { wallMs, vadMs, asrMs, segments }   (read + VAD + ASR per segment)
'use strict';
const sherpa = require('sherpa-onnx-node');

const SAMPLE_RATE = 16000;

// The VAD settings of sherpa-onnx's own Node example of Silero VAD + SenseVoice
// (nodejs-addon-examples/test_vad_asr_non_streaming_sense_voice_microphone.js): threshold 0.5,
// minSpeechDuration 0.25 s, minSilenceDuration 0.5 s, windowSize 512, one VAD thread, a 60 s
// buffer; maxSpeechDuration is not set there, so sherpa-onnx's default applies. The file
// is fed window by window and every segment is decoded as soon as the VAD yields it, then the VAD is
// flushed, as in its file-driven example (test_vad_with_non_streaming_asr_whisper.js).
const VAD_SETTINGS = { threshold: 0.5, minSpeechDuration: 0.25, minSilenceDuration: 0.5, windowSize: 512 };
const VAD_THREADS = 1;
const VAD_BUFFER_S = 60;

let recognizer = null;

function decodeSamples(samples) {
  const stream = recognizer.createStream();
  stream.acceptWaveform({ sampleRate: SAMPLE_RATE, samples });
  recognizer.decode(stream);
  return recognizer.getResult(stream);
}

function readMono16k(file) {
  const wave = sherpa.readWave(file);
  if (wave.sampleRate !== SAMPLE_RATE) throw new Error(`${file}: ${wave.sampleRate} Hz, expected ${SAMPLE_RATE}`);
  return wave.samples;
}

const ops = {
  loadRecognizer({ model, tokens, threads }) {
    const t = performance.now();
    recognizer = new sherpa.OfflineRecognizer({
      featConfig: { sampleRate: SAMPLE_RATE, featureDim: 80 },
      modelConfig: {
        senseVoice: { model, language: 'auto', useInverseTextNormalization: 0 },
        tokens,
        numThreads: threads,
        provider: 'cpu',
        debug: 0,
      },
    });
    return { loadMs: performance.now() - t };
  },

  decodeSpans({ file, spans }) {
    const t = performance.now();
    const samples = readMono16k(file);
    for (const span of spans) {
      decodeSamples(samples.subarray(Math.round(span.startS * SAMPLE_RATE), Math.min(samples.length, Math.round(span.endS * SAMPLE_RATE))));
    }
    return { wallMs: performance.now() - t };
  },

  pipeline({ file, vadModel }) {
    // A fresh VAD per file (created before the clock starts: the engine's is loaded once too).
    const vad = new sherpa.Vad(
      { sileroVad: { model: vadModel, ...VAD_SETTINGS }, sampleRate: SAMPLE_RATE, debug: false, numThreads: VAD_THREADS },
      VAD_BUFFER_S,
    );
    const lengths = [];
    let vadMs = 0;
    let asrMs = 0;
    const drain = () => {
      while (!vad.isEmpty()) {
        const segment = vad.front();
        vad.pop();
        lengths.push(segment.samples.length / SAMPLE_RATE);
        const t = performance.now();
        decodeSamples(segment.samples);
        asrMs += performance.now() - t;
      }
    };
    const t0 = performance.now();
    const samples = readMono16k(file);
    const window = VAD_SETTINGS.windowSize;
    for (let i = 0; i < samples.length; i += window) {
      const t = performance.now();
      vad.acceptWaveform(samples.subarray(i, i + window));
      vadMs += performance.now() - t;
      drain();
    }
    const t = performance.now();
    vad.flush();
    vadMs += performance.now() - t;
    drain();
    const wallMs = performance.now() - t0;
    const totalS = lengths.reduce((s, x) => s + x, 0);
    return {
      wallMs,
      vadMs,
      asrMs,
      audioS: samples.length / SAMPLE_RATE,
      segments: { count: lengths.length, totalS, meanS: lengths.length ? totalS / lengths.length : 0, maxS: Math.max(0, ...lengths) },
      settings: { ...VAD_SETTINGS, maxSpeechDuration: 'not set (sherpa-onnx default)', vadThreads: VAD_THREADS, bufferS: VAD_BUFFER_S },
    };
  },
};

process.on('message', (message) => {
  const op = ops[message.op];
  Promise.resolve()
    .then(() => {
      if (!op) throw new Error(`unknown op ${message.op}`);
      return op(message.args);
    })
    .then(
      (result) => process.send({ id: message.id, ok: true, result }),
      (err) => process.send({ id: message.id, ok: false, error: err && err.stack ? err.stack : String(err) }),
    );
});
process.on('disconnect', () => process.exit(0));
