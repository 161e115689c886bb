// @ts-check
/** The tenant's job list (GET /v1/jobs): status, duration, language, created; open, cancel, delete. */
import { deleteJob, listJobs, TERMINAL_STATUSES } from './api.js';
import { formatDate, formatDuration, h } from './dom.js';

/** @typedef {import('./api.js').Job} Job */

const LIMIT = 50;

/** @param {Job} job */
export function audioName(job) {
  const src = job.source;
  if (src.kind === 'upload') return src.filename ?? 'upload';
  return src.url ?? src.uri ?? src.kind;
}

/**
 * @param {HTMLTableSectionElement} body
 * @param {{ open: (job: Job) => void, changed: () => void, error: (err: unknown) => void }} actions
 */
export async function refreshJobs(body, actions) {
  const page = await listJobs(LIMIT);
  body.replaceChildren(...page.data.map((job) => row(job, actions)));
  if (page.data.length === 0) body.append(h('tr', {}, h('td', { colspan: 6, class: 'muted' }, 'No jobs yet.')));
}

/**
 * @param {Job} job
 * @param {{ open: (job: Job) => void, changed: () => void, error: (err: unknown) => void }} actions
 */
function row(job, actions) {
  const finished = TERMINAL_STATUSES.includes(job.status);
  /** @param {boolean} purge */
  const remove = (purge) => async () => {
    if (purge && !confirm(`Delete job ${job.id} with its audio and results?`)) return;
    try {
      await deleteJob(job.id, purge);
    } catch (err) {
      actions.error(err);
    }
    actions.changed();
  };
  const duration = job.result?.durationS ?? job.audio?.durationS ?? null;
  const language = job.result?.language ?? (job.options.language === 'auto' ? '—' : job.options.language);
  const progress = job.status === 'processing' ? ` ${Math.round(job.progress * 100)} %` : '';
  return h('tr', { 'data-job': job.id, 'data-status': job.status },
    h('td', {}, formatDate(job.createdAt)),
    h('td', { class: 'ellipsis', title: job.id }, audioName(job)),
    h('td', {}, h('span', { class: `status status-${job.status}` }, job.status + progress), job.result?.synthetic ? h('span', { class: 'tag synthetic-tag' }, 'synthetic') : null,
      job.error ? h('span', { class: 'muted', title: job.error.message }, ` ${job.error.code}`) : null),
    h('td', {}, formatDuration(duration)),
    h('td', {}, language),
    h('td', { class: 'actions' },
      job.status === 'completed' ? h('button', { type: 'button', class: 'small', 'data-action': 'open', onclick: () => actions.open(job) }, 'Open') : null,
      finished ? null : h('button', { type: 'button', class: 'small secondary', 'data-action': 'cancel', onclick: remove(false) }, 'Cancel'),
      finished ? h('button', { type: 'button', class: 'small danger', 'data-action': 'delete', onclick: remove(true) }, 'Delete') : null));
}
