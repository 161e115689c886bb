// @ts-check
/** Microphone recording with MediaRecorder (WebM/Opus in Chromium and Firefox; the API decodes WebM). */

/**
 * @typedef {{ stop: () => Promise<File> }} Recording
 */

/** @returns {boolean} */
export function canRecord() {
  return typeof MediaRecorder !== 'undefined' && !!navigator.mediaDevices?.getUserMedia;
}

/** @returns {Promise<Recording>} */
export async function startRecording() {
  const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
  const type = ['audio/webm;codecs=opus', 'audio/webm', 'audio/ogg;codecs=opus', 'audio/mp4'].find((t) => MediaRecorder.isTypeSupported(t));
  const recorder = new MediaRecorder(stream, type ? { mimeType: type } : {});
  /** @type {Blob[]} */
  const chunks = [];
  recorder.addEventListener('dataavailable', (e) => {
    if (e.data.size > 0) chunks.push(e.data);
  });
  recorder.start(1000);
  return {
    stop: () =>
      new Promise((resolve) => {
        recorder.addEventListener('stop', () => {
          for (const track of stream.getTracks()) track.stop();
          const mime = recorder.mimeType || type || 'audio/webm';
          const ext = mime.includes('ogg') ? 'ogg' : mime.includes('mp4') ? 'm4a' : 'webm';
          const stamp = new Date().toISOString().replace(/[:.]/g, '-');
          resolve(new File(chunks, `recording-${stamp}.${ext}`, { type: mime }));
        }, { once: true });
        recorder.stop();
      }),
  };
}
