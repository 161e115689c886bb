/**
 * The discrete-event loop of the autoscaling simulation: files arrive (from a trace), become
 * units of work (one per file, or ~300 s chunks with fan-out), wait in one FIFO queue and run on
 * workers; a controller decides the fleet. Worker model:
 *
 * - A worker takes up to `slots` units at once and shares its throughput between them
 *   (processor sharing: k units each progress at throughput / k), like a GPU worker whose
 *   concurrent jobs fill the same model batches. A waiting unit goes to the ready worker with
 *   the fewest units.
 * - A new worker is paid from the moment it is asked for and takes units after `coldStartS`.
 * - Removal takes starting workers first, then idle ones, then the busy ones with the least
 *   work left (in Kubernetes that needs pod-deletion-cost; otherwise the ReplicaSet chooses).
 *   A busy worker drains: it finishes its units for up to `drainTimeoutS`, then hands the rest
 *   back to the front of the queue, where they start over (the work done is lost).
 *
 * Controllers: `fixed` (a static fleet, ready at 0), `polled` (asked every `pollS` with what a
 * metrics exporter would see, as KEDA polls), `instant` (the oracle: a worker per runnable unit,
 * no cold start, asked after every event).
 */
import { EventQueue } from './event-queue.js';
import type { Arrival } from './traces.js';

export interface SimParams {
  /** Audio seconds one worker transcribes per wall second (all its slots together). */
  throughput: number;
  coldStartS: number;
  /** Units one worker runs at once. */
  slots: number;
  /** Split files longer than `fanOutOverS` into chunks of about `chunkS` that any worker may take. */
  fanOut: boolean;
  fanOutOverS: number;
  chunkS: number;
  /** A removed worker finishes its units for this long, then hands the rest back (EARSHOT_WORKER_DRAIN_TIMEOUT_MS). */
  drainTimeoutS: number;
  /** KEDA pollingInterval. */
  pollS: number;
  /** Window of the fleet's recent transcription rate (`processedAudioSPerS`). */
  rateWindowS: number;
}

export const DEFAULT_SIM_PARAMS: SimParams = {
  throughput: 50,
  coldStartS: 60,
  slots: 1,
  fanOut: false,
  fanOutOverS: 600,
  chunkS: 300,
  drainTimeoutS: 120,
  pollS: 30,
  rateWindowS: 300,
};

/** What a polled controller sees at a poll: what the API's metrics could export. */
export interface FleetView {
  nowS: number;
  backlogAudioS: number;
  /** Audio seconds left per unit. */
  jobs: { waitingAudioS: number[]; runningAudioS: number[] };
  waitingJobs: number;
  activeJobs: number;
  /** Ready or starting, not draining. */
  currentWorkers: number;
  startingWorkers: number;
  /** Audio seconds of units finished in the last `rateWindowS`, per second. */
  processedAudioSPerS: number;
  /** The true throughput once any unit has finished (a worker measured it), else null. */
  measuredThroughput: number | null;
  lastActivityS: number | null;
}

export type Controller =
  | { kind: 'fixed'; workers: number }
  | { kind: 'polled'; next(view: FleetView): number }
  | { kind: 'instant'; maxWorkers?: number };

export interface SimResult {
  /** Paid worker time: from being asked for until removed (or the end), cold start and idle included. */
  workerSeconds: number;
  /** Per file: first unit started − arrival. */
  startWaitsS: Float64Array;
  /** Per file: last unit finished − arrival. */
  doneWaitsS: Float64Array;
  /** Changes of the fleet size asked for. */
  scaleEvents: number;
  /** End of the accounting: the trace's end or the last completion, whichever is later. */
  endS: number;
  files: number;
  completedFiles: number;
  peakWorkers: number;
  /** Audio seconds of work thrown away by drain-timeout hand-backs. */
  lostAudioS: number;
}

interface FileJob {
  arrivalS: number;
  unitsLeft: number;
  firstStartS: number;
  doneS: number;
}
interface Unit {
  file: FileJob;
  audioS: number;
}
interface Running {
  unit: Unit;
  remainingS: number;
}
interface Worker {
  id: number;
  status: 'starting' | 'ready' | 'draining' | 'gone';
  spawnS: number;
  running: Running[];
  updatedS: number;
  version: number;
}

type SimEvent =
  | { type: 'arrival' }
  | { type: 'poll' }
  | { type: 'ready'; worker: Worker }
  | { type: 'complete'; worker: Worker; version: number }
  | { type: 'drain-timeout'; worker: Worker };

const DONE_EPS = 1e-6;

export function simulate(arrivals: readonly Arrival[], durationS: number, controller: Controller, params: SimParams): SimResult {
  const T = params.throughput;
  const events = new EventQueue<SimEvent>();
  const files: FileJob[] = [];
  let waiting: Unit[] = [];
  let waitingHead = 0;
  let waitingAudioS = 0;
  let workers: Worker[] = [];
  let nextWorkerId = 0;
  let workerSeconds = 0;
  let scaleEvents = 0;
  let peakWorkers = 0;
  let lostAudioS = 0;
  let completedFiles = 0;
  let lastDoneS = 0;
  let lastActivityS: number | null = null;
  let measured = false;
  const finished: { atS: number; audioS: number }[] = [];
  let finishedHead = 0;
  let finishedSumS = 0;
  let nextArrival = 0;
  let nowS = 0;

  const waitingCount = () => waiting.length - waitingHead;
  const advance = (w: Worker) => {
    const k = w.running.length;
    if (k > 0) {
      const doneS = ((nowS - w.updatedS) * T) / k;
      for (const r of w.running) r.remainingS -= doneS;
    }
    w.updatedS = nowS;
  };
  const schedule = (w: Worker) => {
    w.version++;
    if (w.running.length === 0) return;
    let min = Infinity;
    for (const r of w.running) min = Math.min(min, r.remainingS);
    events.push(nowS + (Math.max(0, min) * w.running.length) / T, { type: 'complete', worker: w, version: w.version });
  };
  const remove = (w: Worker) => {
    w.status = 'gone';
    w.version++;
    workerSeconds += nowS - w.spawnS;
    workers = workers.filter((x) => x !== w);
  };
  const dispatch = () => {
    while (waitingCount() > 0) {
      let best: Worker | undefined;
      for (const w of workers) {
        if (w.status !== 'ready' || w.running.length >= params.slots) continue;
        if (best === undefined || w.running.length < best.running.length) best = w;
      }
      if (best === undefined) return;
      const unit = waiting[waitingHead++]!;
      waitingAudioS -= unit.audioS;
      if (Number.isNaN(unit.file.firstStartS)) unit.file.firstStartS = nowS;
      advance(best);
      best.running.push({ unit, remainingS: unit.audioS });
      schedule(best);
    }
    if (waitingHead > 4096 && waitingHead * 2 > waiting.length) {
      waiting = waiting.slice(waitingHead);
      waitingHead = 0;
    }
  };
  const spawn = () => {
    const w: Worker = { id: nextWorkerId++, status: 'starting', spawnS: nowS, running: [], updatedS: nowS, version: 0 };
    workers.push(w);
    if (params.coldStartS <= 0 || controller.kind !== 'polled') w.status = 'ready';
    else events.push(nowS + params.coldStartS, { type: 'ready', worker: w });
  };
  const activeWorkers = () => workers.filter((w) => w.status === 'starting' || w.status === 'ready');
  /** Grow or shrink the fleet asked for to `target` (draining workers no longer count). */
  const setFleet = (target: number) => {
    const active = activeWorkers();
    if (target === active.length) return;
    scaleEvents++;
    if (target > active.length) {
      for (let i = active.length; i < target; i++) spawn();
      peakWorkers = Math.max(peakWorkers, target);
      dispatch();
      return;
    }
    const workLeft = (w: Worker) => w.running.reduce((s, r) => s + r.remainingS, 0);
    for (const w of active) advance(w);
    const order = [...active].sort((a, b) => {
      const rank = (w: Worker) => (w.status === 'starting' ? 0 : w.running.length === 0 ? 1 : 2);
      return rank(a) - rank(b) || workLeft(a) - workLeft(b) || b.id - a.id;
    });
    for (const w of order.slice(0, active.length - target)) {
      if (w.running.length === 0) remove(w);
      else {
        w.status = 'draining';
        events.push(nowS + params.drainTimeoutS, { type: 'drain-timeout', worker: w });
      }
    }
  };
  const enqueue = (unit: Unit, front = false) => {
    if (front && waitingHead > 0) waiting[--waitingHead] = unit;
    else if (front) waiting.unshift(unit);
    else waiting.push(unit);
    waitingAudioS += unit.audioS;
  };
  const view = (): FleetView => {
    let backlog = waitingAudioS;
    const waitingAudio: number[] = [];
    const runningAudio: number[] = [];
    for (let i = waitingHead; i < waiting.length; i++) waitingAudio.push(waiting[i]!.audioS);
    let active = 0;
    let starting = 0;
    let current = 0;
    for (const w of workers) {
      advance(w);
      for (const r of w.running) {
        backlog += Math.max(0, r.remainingS);
        runningAudio.push(Math.max(0, r.remainingS));
      }
      active += w.running.length;
      if (w.status === 'starting') starting++;
      if (w.status === 'starting' || w.status === 'ready') current++;
    }
    while (finishedHead < finished.length && finished[finishedHead]!.atS <= nowS - params.rateWindowS) {
      finishedSumS -= finished[finishedHead++]!.audioS;
    }
    return {
      nowS,
      backlogAudioS: backlog,
      jobs: { waitingAudioS: waitingAudio, runningAudioS: runningAudio },
      waitingJobs: waitingCount(),
      activeJobs: active,
      currentWorkers: current,
      startingWorkers: starting,
      processedAudioSPerS: finishedSumS / params.rateWindowS,
      measuredThroughput: measured ? T : null,
      lastActivityS,
    };
  };
  const oracle = () => {
    if (controller.kind !== 'instant') return;
    let active = 0;
    for (const w of workers) active += w.running.length;
    const desired = Math.min(controller.maxWorkers ?? Infinity, waitingCount() + active);
    if (desired > workers.length) {
      scaleEvents++;
      while (workers.length < desired) spawn();
      peakWorkers = Math.max(peakWorkers, workers.length);
      dispatch();
    } else if (desired < workers.length) {
      const idle = workers.filter((w) => w.running.length === 0).slice(0, workers.length - desired);
      if (idle.length > 0) scaleEvents++;
      for (const w of idle) remove(w);
    }
  };

  if (controller.kind === 'fixed') {
    for (let i = 0; i < controller.workers; i++) spawn();
    peakWorkers = controller.workers;
  }
  if (controller.kind === 'polled') events.push(0, { type: 'poll' });
  if (arrivals.length > 0) events.push(arrivals[0]!.atS, { type: 'arrival' });

  let endS = durationS;
  for (;;) {
    const item = events.pop();
    if (item === undefined) break;
    const allDone = nextArrival === arrivals.length && completedFiles === files.length;
    if (allDone && item.atS > endS) break;
    nowS = item.atS;
    const ev = item.event;
    switch (ev.type) {
      case 'arrival': {
        // Every file arriving at this instant (a burst is one event).
        while (nextArrival < arrivals.length && arrivals[nextArrival]!.atS <= nowS) {
          const a = arrivals[nextArrival++]!;
          const chunks = params.fanOut && a.audioS > params.fanOutOverS ? Math.max(2, Math.round(a.audioS / params.chunkS)) : 1;
          const file: FileJob = { arrivalS: a.atS, unitsLeft: chunks, firstStartS: NaN, doneS: NaN };
          files.push(file);
          for (let i = 0; i < chunks; i++) enqueue({ file, audioS: a.audioS / chunks });
        }
        if (nextArrival < arrivals.length) events.push(arrivals[nextArrival]!.atS, { type: 'arrival' });
        lastActivityS = nowS;
        oracle();
        dispatch();
        break;
      }
      case 'ready':
        if (ev.worker.status === 'starting') {
          ev.worker.status = 'ready';
          ev.worker.updatedS = nowS;
          dispatch();
        }
        break;
      case 'complete': {
        const w = ev.worker;
        if (w.status === 'gone' || w.version !== ev.version) break;
        advance(w);
        const still: Running[] = [];
        for (const r of w.running) {
          if (r.remainingS > DONE_EPS) {
            still.push(r);
            continue;
          }
          finished.push({ atS: nowS, audioS: r.unit.audioS });
          finishedSumS += r.unit.audioS;
          measured = true;
          const file = r.unit.file;
          if (--file.unitsLeft === 0) {
            file.doneS = nowS;
            completedFiles++;
            lastDoneS = nowS;
          }
        }
        w.running = still;
        lastActivityS = nowS;
        if (w.status === 'draining' && still.length === 0) remove(w);
        else schedule(w);
        oracle();
        dispatch();
        break;
      }
      case 'drain-timeout': {
        const w = ev.worker;
        if (w.status !== 'draining') break;
        advance(w);
        for (const r of [...w.running].reverse()) {
          lostAudioS += r.unit.audioS - Math.max(0, r.remainingS);
          enqueue(r.unit, true);
        }
        w.running = [];
        remove(w);
        dispatch();
        break;
      }
      case 'poll': {
        if (controller.kind === 'polled') setFleet(Math.max(0, Math.round(controller.next(view()))));
        events.push(nowS + params.pollS, { type: 'poll' });
        break;
      }
    }
    if (nextArrival === arrivals.length && completedFiles === files.length) endS = Math.max(durationS, lastDoneS);
  }
  nowS = endS;
  for (const w of [...workers]) remove(w);

  return {
    workerSeconds,
    startWaitsS: Float64Array.from(files, (f) => f.firstStartS - f.arrivalS),
    doneWaitsS: Float64Array.from(files, (f) => f.doneS - f.arrivalS),
    scaleEvents,
    endS,
    files: files.length,
    completedFiles,
    peakWorkers,
    lostAudioS,
  };
}
