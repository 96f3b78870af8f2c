import type { LoggerService } from '@backstage/backend-plugin-api';
import type { Config } from '@backstage/config';
import type { IrsaService } from '../service/types';
import type { StepRunner } from './ApplyRun';
import { validateProvisionInput, type ProvisionInput } from './input';
import { ProvisionApplier } from './ProvisionApplier';
import { ProvisionPlanner, roleNameFor } from './ProvisionPlanner';
import { InMemoryProvisionLock, type ProvisionLock } from './ProvisionLock';
import type {
  Log,
  ProvisionCaller,
  ProvisionPlan,
  ProvisionResult,
} from './provisionTypes';
import {
  readProvisioningSettings,
  type ProvisioningSettings,
} from './settings';

export type {
  PlannedAssociation,
  PlannedPolicy,
  ProvisionCaller,
  ProvisionPlan,
  ProvisionResult,
} from './provisionTypes';

/**
 * Creates (or converges) a role for IRSA or EKS Pod Identity, its
 * permissions and allowlist policies, the Pod Identity association and the
 * ServiceAccount, for one catalog entity. plan() validates,
 * applies the guardrails and reads; apply() writes, concurrently where calls
 * are independent, and undoes what the run changed when a step fails.
 */
export class DefaultProvisioner {
  private readonly service: IrsaService;
  private readonly settings: ProvisioningSettings;
  private readonly lock: ProvisionLock;
  private readonly planner: ProvisionPlanner;
  private readonly applier: ProvisionApplier;

  constructor(options: {
    service: IrsaService;
    logger: LoggerService;
    settings: ProvisioningSettings;
    /** Serialises runs on one ServiceAccount or role (default: this process only). */
    lock?: ProvisionLock;
  }) {
    this.service = options.service;
    this.settings = options.settings;
    this.lock = options.lock ?? new InMemoryProvisionLock();
    this.planner = new ProvisionPlanner(this.service, this.settings);
    this.applier = new ProvisionApplier(this.service);
  }

  /** Reads `irsa.provisioning` once. */
  static fromConfig(options: {
    service: IrsaService;
    logger: LoggerService;
    config: Config;
    lock?: ProvisionLock;
  }): DefaultProvisioner {
    return new DefaultProvisioner({
      ...options,
      settings: readProvisioningSettings(options.config),
    });
  }

  /**
   * Plans and, unless `dryRun`, applies, holding the lock for the
   * ServiceAccount and the role meanwhile so two runs never interleave.
   */
  async provision(
    raw: ProvisionInput,
    options: {
      log?: Log;
      step?: StepRunner;
      caller?: ProvisionCaller;
      dryRun?: boolean;
      /** Names this run in a lock conflict (the task id). */
      holder?: string;
    } = {},
  ): Promise<{ plan: ProvisionPlan; result?: ProvisionResult }> {
    const input = validateProvisionInput(raw, this.settings);
    const cluster = this.service.clusters.get(input.cluster);
    const roleName = roleNameFor(input, cluster);
    const lock = await this.lock.acquire(
      [
        `serviceaccount:${cluster.name}/${input.namespace}/${input.serviceAccount}`,
        `role:${cluster.accountId}/${roleName}`,
      ],
      { holder: options.holder ?? 'a run', waitMs: this.settings.lockWaitMs },
    );
    try {
      const plan = await this.plan(raw, options);
      if (options.dryRun) return { plan };
      return { plan, result: await this.apply(plan, options) };
    } finally {
      await lock.release();
    }
  }
  /** Computes what apply() would do, with reads only. */
  plan(
    raw: ProvisionInput,
    options: { log?: Log; caller?: ProvisionCaller } = {},
  ): Promise<ProvisionPlan> {
    return this.planner.plan(raw, options);
  }

  /** Writes a plan; on failure undoes the run's changes and throws ProvisionError. */
  apply(
    plan: ProvisionPlan,
    options: { log?: Log; step?: StepRunner } = {},
  ): Promise<ProvisionResult> {
    return this.applier.apply(plan, options);
  }
}
