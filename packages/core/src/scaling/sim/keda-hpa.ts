/**
 * What KEDA and the Kubernetes HPA do with a recommended replica count, as far as it matters
 * for cost: activation (0 → 1 at once, 1 → 0 after `cooldownPeriod` without activity), the
 * stabilisation windows (scale up to the lowest, down to the highest recommendation seen in the
 * window) and the rate policies (at most `pods` added or removed per `periodS`). Modelled on the
 * HPA's `stabilizeRecommendationWithBehaviors` and `convertDesiredReplicasWithBehaviorRate`; the
 * 10 % tolerance is left out.
 */

export interface ScalingRule {
  stabilizationWindowS: number;
  /** At most this many pods added (up) or removed (down) per `periodS`; Infinity = no limit. */
  pods: number;
  periodS: number;
}

export interface KedaBehavior {
  /** ScaledObject `cooldownPeriod`: seconds without activity before 1 → 0. */
  cooldownPeriodS: number;
  scaleUp: ScalingRule;
  scaleDown: ScalingRule;
}

/**
 * `infra/worker-gpu.yaml`'s ScaledObject on `earshot_desired_workers` (the policy's answer):
 * scale up with no window, 2 pods per 60 s; scale down over a 120 s window, 1 pod per 300 s;
 * 60 s at 0 before the last pod goes.
 */
export const INFRA_GPU_BEHAVIOR: KedaBehavior = {
  cooldownPeriodS: 60,
  scaleUp: { stabilizationWindowS: 0, pods: 2, periodS: 60 },
  scaleDown: { stabilizationWindowS: 120, pods: 1, periodS: 300 },
};

/**
 * The same ScaledObject as it was with the job-count query (the releases before the policy, and
 * the fallback documented in infra/): scale up with no window, 2 pods per 60 s; scale down over a
 * 600 s window, 1 pod per 300 s; 900 s without jobs before 0.
 */
export const JOB_COUNT_GPU_BEHAVIOR: KedaBehavior = {
  cooldownPeriodS: 900,
  scaleUp: { stabilizationWindowS: 0, pods: 2, periodS: 60 },
  scaleDown: { stabilizationWindowS: 600, pods: 1, periodS: 300 },
};

/** The recommendation applied as it is (a policy that holds its own hysteresis and idle time). */
export const DIRECT_BEHAVIOR: KedaBehavior = {
  cooldownPeriodS: 0,
  scaleUp: { stabilizationWindowS: 0, pods: Infinity, periodS: 1 },
  scaleDown: { stabilizationWindowS: 0, pods: Infinity, periodS: 1 },
};

/** One ScaledObject's memory: recommendations and changes in the windows, last activity. */
export class KedaHpa {
  private readonly recommendations: { atS: number; replicas: number }[] = [];
  private readonly changes: { atS: number; delta: number }[] = [];
  private lastActiveS = -Infinity;

  constructor(
    private readonly behavior: KedaBehavior,
    private readonly bounds: { minReplicas: number; maxReplicas: number },
  ) {}

  /**
   * The replica count after one polling cycle. `recommended` is the trigger's count,
   * `active` whether the trigger is above its activation threshold.
   */
  next(nowS: number, current: number, recommended: number, active: boolean): number {
    const { behavior } = this;
    const { minReplicas, maxReplicas } = this.bounds;
    if (active) this.lastActiveS = nowS;
    if (!active && minReplicas === 0) {
      // KEDA's own scale-to-zero: after cooldownPeriod without activity; the HPA stays at ≥ 1 until then.
      if (current === 0 || nowS - this.lastActiveS >= behavior.cooldownPeriodS) return this.change(nowS, current, 0);
    }
    if (active && current === 0) current = this.change(nowS, 0, Math.max(1, minReplicas));
    const hpaMin = Math.max(1, minReplicas);
    const desired = Math.min(maxReplicas, Math.max(hpaMin, recommended));

    this.recommendations.push({ atS: nowS, replicas: desired });
    const keepS = Math.max(behavior.scaleUp.stabilizationWindowS, behavior.scaleDown.stabilizationWindowS);
    while (this.recommendations.length > 0 && this.recommendations[0]!.atS < nowS - keepS) this.recommendations.shift();
    let up = desired;
    let down = desired;
    for (const r of this.recommendations) {
      if (r.atS >= nowS - behavior.scaleUp.stabilizationWindowS) up = Math.min(up, r.replicas);
      if (r.atS >= nowS - behavior.scaleDown.stabilizationWindowS) down = Math.max(down, r.replicas);
    }
    let target = current;
    if (target < up) target = up;
    if (target > down) target = down;

    if (target > current) {
      const added = this.changedInS(nowS, behavior.scaleUp.periodS, 1);
      target = Math.min(target, current - added + behavior.scaleUp.pods);
    } else if (target < current) {
      const removed = this.changedInS(nowS, behavior.scaleDown.periodS, -1);
      target = Math.max(target, current + removed - behavior.scaleDown.pods);
    }
    return this.change(nowS, current, target);
  }

  private changedInS(nowS: number, periodS: number, sign: 1 | -1): number {
    let sum = 0;
    for (const c of this.changes) if (c.atS > nowS - periodS && Math.sign(c.delta) === sign) sum += Math.abs(c.delta);
    return sum;
  }

  private change(nowS: number, from: number, to: number): number {
    if (to !== from) this.changes.push({ atS: nowS, delta: to - from });
    while (this.changes.length > 0 && this.changes[0]!.atS < nowS - 3600) this.changes.shift();
    return to;
  }
}
