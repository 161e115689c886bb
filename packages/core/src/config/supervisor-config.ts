import { z } from 'zod';
import { parseEnv, type EnvSource } from './env.js';

/** Settings of the host supervisor (`npm run workers`, apps/worker/src/supervisor.ts). */
export const SupervisorConfigSchema = z.object({
  /**
   * GPU ids of this host, comma-separated (`0,1`): one worker process per GPU, each seeing only
   * its own through CUDA_VISIBLE_DEVICES; at most this many workers. Unset: CPU workers.
   */
  gpus: z
    .string()
    .transform((s) => s.split(',').map((x) => x.trim()).filter((x) => x.length > 0))
    .pipe(z.array(z.string().regex(/^[A-Za-z0-9-]+$/)))
    .optional(),
  /** How often the supervisor decides. @defaultValue 2000 */
  intervalMs: z.coerce.number().int().min(100).max(600_000).default(2000),
});
export type SupervisorConfig = z.infer<typeof SupervisorConfigSchema>;

export const SUPERVISOR_ENV = {
  gpus: 'EARSHOT_GPUS',
  intervalMs: 'EARSHOT_SUPERVISOR_INTERVAL_MS',
} as const;

export function loadSupervisorConfig(env: EnvSource): SupervisorConfig {
  return parseEnv(SupervisorConfigSchema, SUPERVISOR_ENV, env);
}
