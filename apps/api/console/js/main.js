// @ts-check
/** The console page: wires the key, the submit form, the live job, the result view, the job list and the operator panel. */
import { ApiError, createJob, downloadResult, getJob, getTranscript, listJobs, storedKey, storeKey } from './api.js';
import { renderCharts } from './charts.js';
import { showConfidence, tagTitle } from './confidence.js';
import { byId, formatClock, formatDuration, h } from './dom.js';
import { audioName, refreshJobs } from './jobs.js';
import { fetchFleet } from './operator.js';
import { canRecord, startRecording } from './recorder.js';
import { renderLegend, renderTimeline } from './timeline.js';
import { watchJob } from './watch.js';

/**
 * @typedef {import('./api.js').Job} Job
 * @typedef {import('./api.js').Transcript} Transcript
 * @typedef {{ label: string, emoji: string }} Label
 */

const JOBS_REFRESH_MS = 5000;
const OPERATOR_REFRESH_MS = 5000;

/** label → emoji (emotions and events), from the API's own table. @type {Map<string, string>} */
const emoji = new Map();
/** @type {{ emotions: Label[], events: Label[] }} */
let labels = { emotions: [], events: [] };
/** Audio the user gave this page, by job id: the API keeps no playable copy for the browser. @type {Map<string, string>} */
const localAudio = new Map();
/** @type {{ file: File } | null} */
let staged = null;
/** @type {{ kind: 'emotion' | 'event', label: string, value: number }[]} */
const alertRules = [];
/** @type {AbortController | null} */
let watching = null;
/** @type {{ job: Job, transcript: Transcript } | null} */
let shown = null;

const player = /** @type {HTMLAudioElement} */ (byId('player'));

function showError(/** @type {string} */ id, /** @type {unknown} */ err) {
  const el = byId(id);
  el.hidden = err === null;
  el.textContent = err === null ? '' : err instanceof ApiError ? `${err.code}: ${err.message}` : String(err instanceof Error ? err.message : err);
}

// ── API key ────────────────────────────────────────────────────────────────────────────────────
async function checkKey() {
  const status = byId('key-status');
  if (!storedKey()) {
    status.textContent = 'enter a key to use the API';
    document.body.classList.add('no-key');
    return false;
  }
  try {
    await listJobs(1);
    status.textContent = '✓ key accepted';
    document.body.classList.remove('no-key');
    return true;
  } catch (err) {
    status.textContent = err instanceof ApiError && err.status === 401 ? '✗ key refused' : `✗ ${String(err)}`;
    document.body.classList.add('no-key');
    return false;
  }
}

byId('key-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const input = /** @type {HTMLInputElement} */ (byId('key-input'));
  storeKey(input.value.trim());
  input.value = '';
  if (await checkKey()) void refreshJobList();
});
byId('key-forget').addEventListener('click', () => {
  storeKey('');
  void checkKey();
  byId('jobs-body').replaceChildren();
});

// ── Staging a file: picker, drag and drop, microphone ──────────────────────────────────────────
/** @param {File} file */
function stage(file) {
  staged = { file };
  byId('staged').textContent = `${file.name} (${(file.size / 1024).toFixed(0)} KB)`;
  /** @type {HTMLButtonElement} */ (byId('submit')).disabled = false;
}

const fileInput = /** @type {HTMLInputElement} */ (byId('file-input'));
fileInput.addEventListener('change', () => {
  const file = fileInput.files?.[0];
  if (file) stage(file);
});
const dropzone = byId('dropzone');
dropzone.addEventListener('dragover', (e) => {
  e.preventDefault();
  dropzone.classList.add('over');
});
dropzone.addEventListener('dragleave', () => dropzone.classList.remove('over'));
dropzone.addEventListener('drop', (e) => {
  e.preventDefault();
  dropzone.classList.remove('over');
  const file = e.dataTransfer?.files[0];
  if (file) stage(file);
});

const recordButton = /** @type {HTMLButtonElement} */ (byId('record-button'));
/** @type {import('./recorder.js').Recording | null} */
let recording = null;
recordButton.hidden = !canRecord();
recordButton.addEventListener('click', async () => {
  try {
    if (recording) {
      const file = await recording.stop();
      recording = null;
      recordButton.textContent = '● Record';
      recordButton.classList.remove('recording');
      stage(file);
    } else {
      recording = await startRecording();
      recordButton.textContent = '■ Stop';
      recordButton.classList.add('recording');
      byId('staged').textContent = 'Recording…';
    }
  } catch (err) {
    showError('submit-error', err);
  }
});

// ── Alert rules ────────────────────────────────────────────────────────────────────────────────
const alertLabel = /** @type {HTMLSelectElement} */ (byId('alert-label'));
function fillAlertLabels() {
  alertLabel.replaceChildren(
    h('optgroup', { label: 'emotion (seconds at least)' }, labels.emotions.map((l) => h('option', { value: `emotion:${l.label}` }, `${l.label} ${l.emoji}`))),
    h('optgroup', { label: 'event (per minute at least)' }, labels.events.map((l) => h('option', { value: `event:${l.label}` }, `${l.label} ${l.emoji}`))),
  );
}
alertLabel.addEventListener('change', () => {
  byId('alert-unit').textContent = alertLabel.value.startsWith('event:') ? 'per minute' : 'seconds';
});
byId('alert-add').addEventListener('click', () => {
  const [kind, label] = alertLabel.value.split(':');
  const value = Number(/** @type {HTMLInputElement} */ (byId('alert-threshold')).value);
  if ((kind !== 'emotion' && kind !== 'event') || !label || !Number.isFinite(value) || value < 0) return;
  alertRules.push({ kind, label, value });
  renderAlertRules();
});
function renderAlertRules() {
  byId('alert-list').replaceChildren(...alertRules.map((r, i) =>
    h('li', {}, r.kind === 'emotion' ? `${r.label} ≥ ${r.value} s` : `${r.label} ≥ ${r.value} / min`, ' ',
      h('button', { type: 'button', class: 'small secondary', onclick: () => { alertRules.splice(i, 1); renderAlertRules(); } }, '×'))));
}

/** The job options, as POST /v1/jobs takes them. */
function jobOptions() {
  const webhook = /** @type {HTMLInputElement} */ (byId('webhook')).value.trim();
  return {
    language: /** @type {HTMLSelectElement} */ (byId('language')).value,
    itn: /** @type {HTMLInputElement} */ (byId('itn')).checked,
    ...(/** @type {HTMLInputElement} */ (byId('separate-channels')).checked ? { channels: 'separate' } : {}),
    ...(webhook ? { webhook: { url: webhook } } : {}),
    alerts: alertRules.map((r) => (r.kind === 'emotion' ? { emotion: r.label, minSeconds: r.value } : { event: r.label, minPerMinute: r.value })),
  };
}

// ── Submitting and following a job ─────────────────────────────────────────────────────────────
byId('options-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  if (!staged) return;
  showError('submit-error', null);
  const submit = /** @type {HTMLButtonElement} */ (byId('submit'));
  submit.disabled = true;
  try {
    const job = await createJob(staged.file, staged.file.name, jobOptions());
    localAudio.set(job.id, URL.createObjectURL(staged.file));
    void refreshJobList();
    await follow(job);
  } catch (err) {
    showError('submit-error', err);
  } finally {
    submit.disabled = staged === null;
  }
});

/** @param {Job} job */
async function follow(job) {
  watching?.abort();
  const controller = new AbortController();
  watching = controller;
  const live = byId('live-segments');
  live.replaceChildren();
  byId('job-status').hidden = false;
  /** @param {string} status @param {number} progress @param {string | null} phase */
  const show = (status, progress, phase) => {
    byId('status-text').textContent = `${audioName(job)}: ${status}${phase && status === 'processing' ? ` (${phase})` : ''} ${Math.round(progress * 100)} %`;
    byId('job-status').dataset.status = status;
    /** @type {HTMLProgressElement} */ (byId('progress')).value = progress;
  };
  show(job.status, job.progress, job.phase);
  const settled = await watchJob(job.id, {
    onJob: (j) => show(j.status, j.progress, j.phase),
    onProgress: show,
    onSegment: (seg) => live.append(h('li', {}, h('span', { class: 'muted' }, formatClock(seg.startS)), ' ', channelTag(undefined, seg), seg.richText || seg.text)),
    onMode: (mode) => {
      byId('status-mode').textContent = mode === 'events' ? '(live events)' : '(polling)';
    },
  }, controller.signal);
  if (watching !== controller) return;
  show(settled.status, settled.status === 'completed' ? 1 : settled.progress, null);
  void refreshJobList();
  if (settled.status === 'completed') await openResult(settled);
  else if (settled.error) showError('submit-error', new ApiError(0, settled.error.code, settled.error.message));
}

// ── The result view ────────────────────────────────────────────────────────────────────────────
/** @param {Job} job */
async function openResult(job) {
  const transcript = await getTranscript(job);
  shown = { job, transcript };
  const panel = byId('result-panel');
  panel.hidden = false;
  panel.dataset.job = job.id;
  byId('result-name').textContent = audioName(job);

  const banner = byId('synthetic-banner');
  banner.hidden = !transcript.model.synthetic;
  banner.textContent = transcript.model.synthetic
    ? `Synthetic model (${transcript.model.file}): ${transcript.notice ?? 'random weights; this output is not a transcription.'}`
    : '';

  const audio = localAudio.get(job.id);
  player.removeAttribute('src');
  if (audio) player.src = audio;
  player.load();
  byId('local-audio-label').hidden = audio !== undefined;
  byId('result-meta').textContent = `${formatDuration(transcript.audio.durationS)} · ${transcript.segments.length} segments · language ${transcript.language ?? '—'} · ${transcript.model.name}`;

  const timeline = renderTimeline(transcript, emoji, seek);
  byId('timeline-slot').replaceChildren(timeline.element);
  byId('legend-slot').replaceChildren(renderLegend(transcript, emoji));
  byId('charts-slot').replaceChildren(renderCharts(transcript));
  byId('transcript').replaceChildren(...transcript.segments.map((seg) =>
    h('li', { 'data-index': seg.index, 'data-start': seg.startS, 'data-end': seg.endS, onclick: () => seek(seg.startS) },
      h('span', { class: 'time' }, formatClock(seg.startS)),
      h('span', { class: 'rich' }, channelTag(transcript, seg), seg.richText || seg.text || '…'),
      h('span', { class: 'tags' }, segmentTags(seg)))));
  onTime = (t) => {
    timeline.setTime(t);
    highlight(t);
  };
  onTime(0);
  panel.scrollIntoView({ behavior: 'smooth', block: 'start' });
}

/**
 * The channel label before a segment of a per-channel transcript ("agent", else "Channel N", as
 * the text formats say it); nothing for a mixed one.
 * @param {import('./api.js').Transcript | undefined} transcript
 * @param {import('./api.js').Segment} seg
 * @returns {HTMLElement | string}
 */
function channelTag(transcript, seg) {
  if (seg.channel === undefined || seg.channel === null) return '';
  const name = transcript?.channels?.find((c) => c.channel === seg.channel)?.name;
  return h('span', { class: 'channel', 'data-channel': seg.channel }, `${name ?? `Channel ${seg.channel}`}: `);
}

/**
 * A segment's tags, each in its own element with its confidence (opacity and tooltip), separated by " · ".
 * @param {import('./api.js').Segment} seg
 */
function segmentTags(seg) {
  const tags = /** @type {const} */ ([
    ['language', seg.language, seg.languageConfidence],
    ['emotion', seg.emotion, seg.emotionConfidence],
    ['event', seg.event, seg.eventConfidence],
  ]);
  return tags
    .filter(([, label]) => label !== null)
    .flatMap(([kind, label, confidence], i) => [
      i > 0 ? ' · ' : null,
      showConfidence(h('span', { class: 'seg-tag', 'data-tag': kind, title: tagTitle(label ?? '', confidence) }, label), confidence),
    ]);
}

/** @type {(seconds: number) => void} */
let onTime = () => undefined;
player.addEventListener('timeupdate', () => onTime(player.currentTime));
player.addEventListener('seeked', () => onTime(player.currentTime));

/** @param {number} seconds */
function seek(seconds) {
  if (player.getAttribute('src')) player.currentTime = seconds;
  onTime(seconds);
}

/** Marks the segment under the playhead. @param {number} t */
function highlight(t) {
  for (const li of byId('transcript').children) {
    const el = /** @type {HTMLElement} */ (li);
    const on = t >= Number(el.dataset.start) && t < Number(el.dataset.end);
    if (on && !el.classList.contains('playing')) el.scrollIntoView({ block: 'nearest' });
    el.classList.toggle('playing', on);
  }
  for (const rect of document.querySelectorAll('#timeline [data-kind="segment"]')) {
    const i = Number(rect.getAttribute('data-index'));
    const seg = shown?.transcript.segments.find((x) => x.index === i);
    rect.classList.toggle('playing', !!seg && t >= seg.startS && t < seg.endS);
  }
}

const localAudioInput = /** @type {HTMLInputElement} */ (byId('local-audio'));
localAudioInput.addEventListener('change', () => {
  const file = localAudioInput.files?.[0];
  if (!file || !shown) return;
  const url = URL.createObjectURL(file);
  localAudio.set(shown.job.id, url);
  player.src = url;
  byId('local-audio-label').hidden = true;
});

byId('downloads').addEventListener('click', async (e) => {
  const button = /** @type {HTMLElement} */ (e.target).closest('button');
  const format = button?.dataset.format;
  if (!format || !shown) return;
  const link = shown.job.links.result?.[format];
  if (!link) return;
  try {
    await downloadResult(link, `transcript-${shown.job.id}.${format}`);
  } catch (err) {
    showError('submit-error', err);
  }
});

// ── Job list and operator panel ────────────────────────────────────────────────────────────────
async function refreshJobList() {
  if (!storedKey()) return;
  try {
    await refreshJobs(/** @type {HTMLTableSectionElement} */ (byId('jobs-body')), {
      open: async (job) => {
        try {
          await openResult(await getJob(job.id));
        } catch (err) {
          showError('jobs-error', err);
        }
      },
      changed: () => void refreshJobList(),
      error: (err) => showError('jobs-error', err),
    });
    showError('jobs-error', null);
  } catch (err) {
    showError('jobs-error', err);
  }
}
byId('jobs-refresh').addEventListener('click', () => void refreshJobList());

async function refreshOperator() {
  const dl = byId('operator');
  try {
    const fleet = await fetchFleet();
    const queue = Object.entries(fleet.queue).map(([state, n]) => `${state} ${n}`).join(' · ') || '—';
    /** @type {[string, string][]} */
    const rows = [
      ['Queue', queue],
      ['Backlog', fleet.backlogAudioS === null ? '—' : `${formatDuration(fleet.backlogAudioS)} of audio`],
      ['Oldest waiting', fleet.oldestWaitingS === null ? '—' : formatDuration(fleet.oldestWaitingS)],
      ['Workers', `${fleet.liveWorkers ?? fleet.workers.length} live${fleet.desiredWorkers === null ? '' : `, ${fleet.desiredWorkers} wanted`}`],
      ['Throughput', fleet.workers.length === 0 ? 'not measured yet' : fleet.workers.map((w) => `${w.worker}: ${w.throughput.toFixed(1)}× real time`).join(' · ')],
    ];
    dl.replaceChildren(...rows.flatMap(([k, v]) => [h('dt', {}, k), h('dd', { 'data-metric': k.toLowerCase() }, v)]));
    byId('operator-error').hidden = true;
  } catch (err) {
    const el = byId('operator-error');
    el.hidden = false;
    el.textContent = `Fleet metrics unavailable (${err instanceof Error ? err.message : String(err)}).`;
  }
}

/** Shows the API reference links when the server has them. */
async function detectDocs() {
  for (const { id, path } of [{ id: 'docs-link', path: '/docs' }, { id: 'openapi-link', path: '/openapi.json' }]) {
    const res = await fetch(path, { method: 'HEAD' }).catch(() => null);
    byId(id).hidden = !res?.ok;
  }
}

async function init() {
  const res = await fetch('labels.json');
  if (res.ok) labels = await res.json();
  for (const l of [...labels.emotions, ...labels.events]) emoji.set(l.label, l.emoji);
  fillAlertLabels();
  void detectDocs();
  void refreshOperator();
  setInterval(() => void refreshOperator(), OPERATOR_REFRESH_MS);
  if (await checkKey()) void refreshJobList();
  setInterval(() => {
    if (document.visibilityState === 'visible') void refreshJobList();
  }, JOBS_REFRESH_MS);
  document.body.dataset.ready = 'true';
}

void init();
