// @ts-check
/**
 * The operator panel reads the API's Prometheus endpoint (`GET /metrics`, unauthenticated like
 * /healthz): queue counts (earshot_queue_jobs), backlog in audio seconds, the oldest waiting job,
 * live workers (earshot_workers) with their measured throughput, and the workers the scaling policy asks for.
 */

/**
 * @typedef {{ name: string, labels: Record<string, string>, value: number }} Sample
 * @typedef {{ queue: Record<string, number>, backlogAudioS: number | null, oldestWaitingS: number | null,
 *   liveWorkers: number | null, desiredWorkers: number | null, workers: { worker: string, throughput: number }[] }} FleetView
 */

/**
 * Prometheus text exposition → samples (comments and malformed lines skipped).
 * @param {string} text
 * @returns {Sample[]}
 */
export function parsePrometheus(text) {
  /** @type {Sample[]} */
  const samples = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m || m[1] === undefined || m[3] === undefined) continue;
    /** @type {Record<string, string>} */
    const labels = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      if (l[1] !== undefined && l[2] !== undefined) labels[l[1]] = l[2].replace(/\\(.)/g, '$1');
    }
    samples.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return samples;
}

/** @param {Sample[]} samples @returns {FleetView} */
export function fleetView(samples) {
  const one = (/** @type {string} */ name) => samples.find((x) => x.name === name)?.value ?? null;
  /** @type {Record<string, number>} */
  const queue = {};
  for (const x of samples) if (x.name === 'earshot_queue_jobs' && x.labels.state) queue[x.labels.state] = x.value;
  return {
    queue,
    backlogAudioS: one('earshot_backlog_audio_seconds'),
    oldestWaitingS: one('earshot_oldest_waiting_seconds'),
    liveWorkers: one('earshot_workers'),
    desiredWorkers: one('earshot_desired_workers'),
    workers: samples
      .filter((x) => x.name === 'earshot_worker_throughput_audio_seconds_per_second')
      .map((x) => ({ worker: x.labels.worker ?? '?', throughput: x.value })),
  };
}

/** @returns {Promise<FleetView>} */
export async function fetchFleet() {
  const res = await fetch('/metrics', { headers: { Accept: 'text/plain' } });
  if (!res.ok) throw new Error(`/metrics answered ${res.status}`);
  return fleetView(parsePrometheus(await res.text()));
}
