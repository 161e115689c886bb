// Decodes segments with sherpa-onnx-node's SenseVoice offline recognizer, the
// implementation nobody here wrote. Runs as its own process: sherpa-onnx calls
// _Exit on a bad model, and it bundles its own onnxruntime that must not share
// a process with onnxruntime-node.
//
//   node test/support/sherpa-decode.cjs request.json > results.json
// request: { model, tokens, samplesFile (raw float32 LE, 16 kHz mono),
//            segments: [{ offset, length }] (in samples), language, itn, threads,
//            mode: 'each' | 'whole' }
// prints: { loadMs, decodeMs, results: [sherpa result JSON per segment] }
'use strict';
const fs = require('node:fs');
const sherpa = require('sherpa-onnx-node');

const req = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const t0 = performance.now();
const recognizer = new sherpa.OfflineRecognizer({
  featConfig: { sampleRate: 16000, featureDim: 80 },
  modelConfig: {
    senseVoice: { model: req.model, language: req.language || 'auto', useInverseTextNormalization: req.itn ? 1 : 0 },
    tokens: req.tokens,
    numThreads: req.threads || 1,
    provider: 'cpu',
    debug: 0,
  },
});
const loadMs = performance.now() - t0;
const buf = fs.readFileSync(req.samplesFile);
const all = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
const t1 = performance.now();
const results = req.segments.map(({ offset, length }) => {
  const stream = recognizer.createStream();
  stream.acceptWaveform({ sampleRate: 16000, samples: all.slice(offset, offset + length) });
  recognizer.decode(stream);
  return recognizer.getResult(stream);
});
const decodeMs = performance.now() - t1;
process.stdout.write(JSON.stringify({ loadMs, decodeMs, results }));
