import { z } from 'zod';
import { parseEnv, type EnvSource } from './env.js';

/**
 * Settings of the work-based autoscaling policy (`scaling/decide-workers.ts`): how many
 * workers the transcription backlog, counted in audio seconds, asks for. Read by whatever
 * exports the desired worker count (metrics exporter, supervisor); KEDA's own
 * min/maxReplicaCount stay the outer bounds.
 */
export const AutoscaleConfigSchema = z
  .object({
    /**
     * The backlog (audio seconds waiting plus the rest of running jobs) should be
     * transcribed within this many seconds. Shorter: lower waits, more workers. The wait
     * until a job starts settles near this value under steady load, because the policy only
     * adds a worker once the backlog exceeds what the fleet drains in this time.
     * @defaultValue 60
     */
    targetDrainS: z.coerce.number().min(1).max(86_400).default(60),
    /**
     * Seconds with nothing waiting or running before the fleet goes to `minWorkers` (0 by
     * default). Until then at least one worker stays warm for the next job.
     * @defaultValue 300
     */
    idleS: z.coerce.number().min(0).max(7 * 86_400).default(300),
    /** Fewest workers, also when idle; 0 lets the fleet (and its GPUs) go away. @defaultValue 0 */
    minWorkers: z.coerce.number().int().min(0).max(10_000).default(0),
    /** Most workers. Keep KEDA's maxReplicaCount at least this. @defaultValue 10 */
    maxWorkers: z.coerce.number().int().min(1).max(10_000).default(10),
    /**
     * Audio seconds one worker transcribes per wall second, used until a throughput has been
     * measured. The default is a conservative GPU worker (a third of SenseVoice-Small's
     * published model-only speed, for VAD, decoding and I/O); a 2-core CPU worker does about 15.
     * @defaultValue 50
     */
    throughputPrior: z.coerce.number().positive().max(100_000).default(50),
    /**
     * Seconds from asking for a worker to its first job: scheduling (and a node, for GPUs),
     * image pull, model load. New workers are counted only after it.
     * @defaultValue 60
     */
    coldStartS: z.coerce.number().min(0).max(3600).default(60),
    /**
     * Scale-down waits until the fleet has been over-provisioned for this long (and this long
     * after the last change), then goes to the most workers needed during that time.
     * Scale-up never waits.
     * @defaultValue 300
     */
    cooldownS: z.coerce.number().min(0).max(86_400).default(300),
  })
  .refine((c) => c.minWorkers <= c.maxWorkers, { message: 'must be at least the minimum worker count', path: ['maxWorkers'] });
export type AutoscaleConfig = z.infer<typeof AutoscaleConfigSchema>;

export const AUTOSCALE_ENV = {
  targetDrainS: 'EARSHOT_AUTOSCALE_TARGET_DRAIN_S',
  idleS: 'EARSHOT_AUTOSCALE_IDLE_S',
  minWorkers: 'EARSHOT_AUTOSCALE_MIN_WORKERS',
  maxWorkers: 'EARSHOT_AUTOSCALE_MAX_WORKERS',
  throughputPrior: 'EARSHOT_AUTOSCALE_THROUGHPUT_PRIOR',
  coldStartS: 'EARSHOT_AUTOSCALE_COLD_START_S',
  cooldownS: 'EARSHOT_AUTOSCALE_COOLDOWN_S',
} as const;

export function loadAutoscaleConfig(env: EnvSource): AutoscaleConfig {
  return parseEnv(AutoscaleConfigSchema, AUTOSCALE_ENV, env);
}
