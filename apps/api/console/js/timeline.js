// @ts-check
/**
 * The timeline: three rows over the audio's duration, drawn as inline SVG.
 *   speech   one block per transcript segment            (data-kind="segment")
 *   emotion  the merged emotion timeline, a colour each  (data-kind="emotion")
 *   events   the merged event timeline as markers        (data-kind="event"; "Speech" is not drawn)
 * Every shape carries data-start (seconds) and seeks the player when clicked; a playhead follows it.
 * Emotion bands and event markers show how sure the model is (confidence.js): opacity and tooltip.
 */
import { intervalConfidence, showConfidence, tagTitle } from './confidence.js';
import { formatClock, h, labelClass, s } from './dom.js';

const WIDTH = 1000;
const ROW = 26;
const GAP = 6;
const ROWS = ['speech', 'emotion', 'events'];
const HEIGHT = ROWS.length * (ROW + GAP);

/**
 * @typedef {import('./api.js').Transcript} Transcript
 * @typedef {{ element: HTMLElement, setTime: (seconds: number) => void }} Timeline
 */

/**
 * @param {Transcript} transcript
 * @param {Map<string, string>} emoji  label → emoji, from /console/labels.json
 * @param {(seconds: number) => void} seek
 * @returns {Timeline}
 */
export function renderTimeline(transcript, emoji, seek) {
  const duration = Math.max(transcript.audio.durationS, ...transcript.segments.map((x) => x.endS), 0.001);
  const x = (/** @type {number} */ t) => (Math.min(Math.max(t, 0), duration) / duration) * WIDTH;
  const w = (/** @type {number} */ a, /** @type {number} */ b) => Math.max(x(b) - x(a), 2);
  const rowY = (/** @type {number} */ i) => i * (ROW + GAP);

  /** @param {string} text */
  const title = (text) => s('title', {}, text);
  const span = (/** @type {number} */ a, /** @type {number} */ b) => `${formatClock(a)}–${formatClock(b)}`;

  const segments = transcript.segments.map((seg) =>
    s('rect', {
      class: 'seg', 'data-kind': 'segment', 'data-index': seg.index, 'data-start': seg.startS,
      x: x(seg.startS), y: rowY(0), width: w(seg.startS, seg.endS), height: ROW,
    }, title(`${span(seg.startS, seg.endS)} ${seg.text}`)),
  );
  const emotionTags = transcript.segments.map((seg) => ({ startS: seg.startS, endS: seg.endS, tag: seg.emotion, confidence: seg.emotionConfidence }));
  const eventTags = transcript.segments.map((seg) => ({ startS: seg.startS, endS: seg.endS, tag: seg.event, confidence: seg.eventConfidence }));
  const emotions = transcript.emotionTimeline.map((band) => {
    const confidence = intervalConfidence(band, emotionTags);
    return showConfidence(s('rect', {
      class: `band emo-${labelClass(band.label)}`, 'data-kind': 'emotion', 'data-label': band.label, 'data-start': band.startS,
      x: x(band.startS), y: rowY(1), width: w(band.startS, band.endS), height: ROW,
    }, title(`${tagTitle(band.label, confidence)} ${emoji.get(band.label) ?? ''} ${span(band.startS, band.endS)}`)), confidence);
  });
  const events = transcript.eventTimeline
    .filter((ev) => ev.label !== 'Speech')
    .map((ev) => {
      const confidence = intervalConfidence(ev, eventTags);
      return showConfidence(s('g', { class: `marker evt-${labelClass(ev.label)}`, 'data-kind': 'event', 'data-label': ev.label, 'data-start': ev.startS },
        s('rect', { x: x(ev.startS), y: rowY(2) + ROW * 0.35, width: w(ev.startS, ev.endS), height: ROW * 0.3 }),
        s('rect', { x: x(ev.startS) - 1.5, y: rowY(2), width: 3, height: ROW }),
        title(`${tagTitle(ev.label, confidence)} ${emoji.get(ev.label) ?? ''} ${span(ev.startS, ev.endS)}`)), confidence);
    });
  const playhead = s('rect', { class: 'playhead', x: 0, y: 0, width: 2, height: HEIGHT });
  const svg = s('svg', { class: 'timeline-svg', viewBox: `0 0 ${WIDTH} ${HEIGHT}`, preserveAspectRatio: 'none', role: 'img',
    'aria-label': `timeline of ${transcript.segments.length} segments over ${duration.toFixed(1)} s` },
  ROWS.map((_, i) => s('rect', { class: 'lane', x: 0, y: rowY(i), width: WIDTH, height: ROW })),
  segments, emotions, events, playhead);

  svg.addEventListener('click', (e) => {
    const target = /** @type {Element} */ (e.target).closest('[data-start]');
    if (target) seek(Number(target.getAttribute('data-start')));
    else {
      const box = svg.getBoundingClientRect();
      seek(((e.clientX - box.left) / box.width) * duration);
    }
  });

  const labels = h('div', { class: 'timeline-labels' }, ROWS.map((r) => h('span', {}, r)));
  const ticks = h('div', { class: 'timeline-ticks' }, [0, 0.25, 0.5, 0.75, 1].map((f) => h('span', {}, formatClock(f * duration))));
  const element = h('div', { class: 'timeline', id: 'timeline' }, labels, h('div', { class: 'timeline-track' }, svg, ticks));
  return {
    element,
    setTime(seconds) {
      playhead.setAttribute('x', String(Math.min(x(seconds), WIDTH - 2)));
    },
  };
}

/**
 * A legend of the labels present, with their colours and emoji.
 * @param {Transcript} transcript
 * @param {Map<string, string>} emoji
 */
export function renderLegend(transcript, emoji) {
  const emotions = [...new Set(transcript.emotionTimeline.map((b) => b.label))];
  const events = [...new Set(transcript.eventTimeline.map((b) => b.label))].filter((l) => l !== 'Speech');
  /** @param {string} kind @param {string} label */
  const item = (kind, label) => h('span', { class: 'legend-item' }, h('span', { class: `swatch ${kind}-${labelClass(label)}` }), `${label} ${emoji.get(label) ?? ''}`);
  return h('div', { class: 'legend' }, emotions.map((l) => item('emo', l)), events.map((l) => item('evt', l)));
}
