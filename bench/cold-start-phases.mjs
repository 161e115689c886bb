// Child of bench/cold-start.ts --phases: one fresh process times the steps of one model load
// (plain JavaScript on the built packages, so no transpiler runs inside the timings).
// env: MODEL, THREADS, CACHE_DIR, VARIANT (untouched | edited | optimized).
const startedS = process.uptime();
const cpu0 = process.cpuUsage();
const lap = (() => {
  let t = performance.now();
  let c = process.cpuUsage();
  return () => {
    const now = performance.now();
    const cn = process.cpuUsage();
    const r = { ms: Math.round(now - t), cpuMs: Math.round((cn.user - c.user + cn.system - c.system) / 1000) };
    t = now;
    c = cn;
    return r;
  };
})();
const { SenseVoiceSession } = await import('@earshot/core/model/sense-voice-session');
const { SymbolTable } = await import('@earshot/core/decoding/symbol-table');
const { queryTagIds } = await import('@earshot/core/decoding/query-tags');
const { dirname, join } = await import('node:path');
const imports = lap();
const variant = process.env.VARIANT;
const runtime = {
  threads: Number(process.env.THREADS ?? 2),
  provider: 'cpu',
  deviceId: 0,
  modelCache: { dir: process.env.CACHE_DIR, maxBytes: 64 * 1024 ** 3 },
  optimizedModelCache: variant === 'optimized',
};
// The worker's decode options: the query tag ids of the model's tokens.txt (the same cache entries).
const symbols = await SymbolTable.fromFile(join(dirname(process.env.MODEL), 'tokens.txt'));
const tokens = lap();
const session = await SenseVoiceSession.create(process.env.MODEL, runtime, { inGraph: variant !== 'untouched', queryTagIds: queryTagIds(symbols) });
const create = lap();
const frames = 167; // 10 s of LFR frames
const features = new Float32Array(frames * 560).map((_, i) => Math.sin(i * 0.37));
const item = { features, frames, languageId: session.metadata.languageIds.auto, textNormId: session.metadata.withoutItn };
await session.decodeBatch([item]);
const firstRun = lap();
await session.decodeBatch([{ ...item, features: features.slice() }]);
const secondRun = lap();
const total = process.cpuUsage(cpu0);
console.log(
  JSON.stringify({
    origin: session.origin,
    nodeStartS: +startedS.toFixed(3),
    importMs: imports.ms,
    tokensMs: tokens.ms,
    createMs: create.ms,
    createCpuMs: create.cpuMs,
    firstRunMs: firstRun.ms,
    secondRunMs: secondRun.ms,
    cpuMs: Math.round((total.user + total.system) / 1000),
    rssMb: Math.round(process.memoryUsage().rss / 1e6),
  }),
);
await session.close();
