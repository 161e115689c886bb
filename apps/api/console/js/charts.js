// @ts-check
/** Summary charts as inline SVG bar charts (no chart library). */
import { h, labelClass, s } from './dom.js';

const WIDTH = 320;
const BAR = 18;
const GAP = 6;
const LABEL_W = 96;
const VALUE_W = 56;

/**
 * @param {string} title
 * @param {[string, number][]} entries  label, value
 * @param {(value: number) => string} format
 * @param {string} kind  CSS class prefix for the bar colours ("emo", "evt", "lang")
 */
export function barChart(title, entries, format, kind) {
  const sorted = entries.filter(([, v]) => Number.isFinite(v)).sort((a, b) => b[1] - a[1]);
  if (sorted.length === 0) return h('figure', { class: 'chart' }, h('figcaption', {}, title), h('p', { class: 'muted' }, 'none'));
  const max = Math.max(...sorted.map(([, v]) => v), 1e-9);
  const height = sorted.length * (BAR + GAP);
  const barSpace = WIDTH - LABEL_W - VALUE_W;
  const svg = s('svg', { viewBox: `0 0 ${WIDTH} ${height}`, class: 'chart-svg', role: 'img', 'aria-label': title },
    sorted.map(([label, value], i) => {
      const y = i * (BAR + GAP);
      return s('g', { 'data-label': label },
        s('text', { x: LABEL_W - 6, y: y + BAR * 0.72, 'text-anchor': 'end', class: 'chart-label' }, label),
        s('rect', { x: LABEL_W, y, width: Math.max((value / max) * barSpace, 1), height: BAR, class: `bar ${kind}-${labelClass(label)}` }),
        s('text', { x: LABEL_W + Math.max((value / max) * barSpace, 1) + 4, y: y + BAR * 0.72, class: 'chart-value' }, format(value)));
    }));
  return h('figure', { class: 'chart' }, h('figcaption', {}, title), svg);
}

/** @param {import('./api.js').Transcript} transcript */
export function renderCharts(transcript) {
  const { summary } = transcript;
  return h('div', { class: 'charts', id: 'charts' },
    barChart('Seconds per emotion', Object.entries(summary.emotionSeconds), (v) => `${v.toFixed(1)} s`, 'emo'),
    barChart('Events per minute', Object.entries(summary.events).filter(([l]) => l !== 'Speech').map(([l, e]) => [l, e.perMinute]), (v) => v.toFixed(1), 'evt'),
    barChart('Language shares', Object.entries(summary.languageShares), (v) => `${Math.round(v * 100)} %`, 'lang'));
}
