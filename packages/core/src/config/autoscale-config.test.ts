import { describe, expect, it } from 'vitest';
import { AppError } from '../errors/app-error.js';
import { AUTOSCALE_ENV, loadAutoscaleConfig } from './autoscale-config.js';

describe('loadAutoscaleConfig', () => {
  it('has the documented defaults', () => {
    expect(loadAutoscaleConfig({})).toEqual({
      targetDrainS: 60,
      idleS: 300,
      minWorkers: 0,
      maxWorkers: 10,
      throughputPrior: 50,
      coldStartS: 60,
      cooldownS: 300,
    });
  });

  it('reads the contract names', () => {
    expect(AUTOSCALE_ENV.targetDrainS).toBe('EARSHOT_AUTOSCALE_TARGET_DRAIN_S');
    expect(AUTOSCALE_ENV.idleS).toBe('EARSHOT_AUTOSCALE_IDLE_S');
    const c = loadAutoscaleConfig({
      EARSHOT_AUTOSCALE_TARGET_DRAIN_S: '120',
      EARSHOT_AUTOSCALE_IDLE_S: '900',
      EARSHOT_AUTOSCALE_MIN_WORKERS: '1',
      EARSHOT_AUTOSCALE_MAX_WORKERS: '4',
      EARSHOT_AUTOSCALE_THROUGHPUT_PRIOR: '15.5',
      EARSHOT_AUTOSCALE_COLD_START_S: '90',
      EARSHOT_AUTOSCALE_COOLDOWN_S: '600',
    });
    expect(c).toEqual({ targetDrainS: 120, idleS: 900, minWorkers: 1, maxWorkers: 4, throughputPrior: 15.5, coldStartS: 90, cooldownS: 600 });
  });

  it.each([
    [{ EARSHOT_AUTOSCALE_MIN_WORKERS: '5', EARSHOT_AUTOSCALE_MAX_WORKERS: '4' }, 'EARSHOT_AUTOSCALE_MAX_WORKERS'],
    [{ EARSHOT_AUTOSCALE_THROUGHPUT_PRIOR: '0' }, 'EARSHOT_AUTOSCALE_THROUGHPUT_PRIOR'],
    [{ EARSHOT_AUTOSCALE_TARGET_DRAIN_S: 'soon' }, 'EARSHOT_AUTOSCALE_TARGET_DRAIN_S'],
    [{ EARSHOT_AUTOSCALE_MIN_WORKERS: '1.5' }, 'EARSHOT_AUTOSCALE_MIN_WORKERS'],
  ])('rejects %o naming %s', (env, name) => {
    let error: unknown;
    try {
      loadAutoscaleConfig(env);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('INVALID_OPTIONS');
    expect((error as AppError).message).toContain(name);
  });
});
