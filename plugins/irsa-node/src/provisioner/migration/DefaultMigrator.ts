import type { LoggerService } from '@backstage/backend-plugin-api';
import type { Config } from '@backstage/config';
import {
  ANNOTATION_IRSA_MIGRATING_TO,
  effectiveMechanism,
} from '@backstage-irsa/plugin-irsa-common';
import type { IrsaService } from '../../service/types';
import { InMemoryProvisionLock, type ProvisionLock } from '../ProvisionLock';
import type { Log } from '../provisionTypes';
import {
  readProvisioningSettings,
  type ProvisioningSettings,
} from '../settings';
import { MigrationApplier } from './MigrationApplier';
import { MigrationPlanner } from './MigrationPlanner';
import {
  MECHANISM_NAMES,
  type MigrationInput,
  type MigrationOptions,
  type MigrationPlan,
  type MigrationResult,
  type Migrator,
} from './migrationTypes';

const json = (value: unknown) => JSON.stringify(value, null, 2);

/** The dry run's account of every write, with the documents in full. */
function narrateDryRun(plan: MigrationPlan, log: Log) {
  log('Dry run: nothing is written');
  if (!plan.changes.length) log('Nothing to change: this step is done');
  for (const change of plan.changes) {
    log(`Would ${change.description}`);
    if (change.kind === 'trust')
      log(
        `Trust policy before:\n${json(change.before)}\nTrust policy after:\n${json(change.after)}`,
      );
    if (change.kind === 'create-association')
      log(`Association:\n${json(change.association)}`);
    if (change.kind === 'annotate')
      log(
        `ServiceAccount metadata merge patch (at resourceVersion ${change.resourceVersion}):\n${json({ metadata: { annotations: change.patch } })}`,
      );
  }
}

/**
 * Moves one entity's workload between IRSA and EKS Pod Identity, one step
 * per run, holding the provisioner's locks on the ServiceAccount and the
 * role. Start wires the new mechanism beside the old one, so running pods
 * keep working; finish removes the old one. To Pod Identity, pods started
 * after start get it and finish waits until no pod is left on IRSA; back to
 * IRSA, the association takes precedence until finish deletes it, after
 * which the pods still on Pod Identity need a restart.
 */
export class DefaultMigrator implements Migrator {
  private readonly service: IrsaService;
  private readonly settings: ProvisioningSettings;
  private readonly lock: ProvisionLock;
  private readonly planner: MigrationPlanner;
  private readonly applier: MigrationApplier;

  constructor(options: {
    service: IrsaService;
    logger: LoggerService;
    settings: ProvisioningSettings;
    /** The provisioner's lock, so a migration never interleaves with a create or a delete. */
    lock?: ProvisionLock;
  }) {
    this.service = options.service;
    this.settings = options.settings;
    this.lock = options.lock ?? new InMemoryProvisionLock();
    this.planner = new MigrationPlanner(options.service, options.settings);
    this.applier = new MigrationApplier(options.service);
  }

  /** Reads `irsa.provisioning` once. */
  static fromConfig(options: {
    service: IrsaService;
    logger: LoggerService;
    config: Config;
    lock?: ProvisionLock;
  }): DefaultMigrator {
    return new DefaultMigrator({
      ...options,
      settings: readProvisioningSettings(options.config),
    });
  }

  async migrate(
    raw: MigrationInput,
    options: MigrationOptions = {},
  ): Promise<{ plan: MigrationPlan; result: MigrationResult }> {
    const log = options.log ?? (() => {});
    const input = this.planner.validate(raw);
    const lock = await this.lock.acquire(
      [
        `serviceaccount:${input.cluster}/${input.namespace}/${input.serviceAccount}`,
        `role:${this.service.clusters.get(input.cluster).accountId}/${input.roleName}`,
      ],
      { holder: options.holder ?? 'a run', waitMs: this.settings.lockWaitMs },
    );
    try {
      const plan = await this.planner.plan(input, log);
      plan.notes.forEach(log);
      if (options.dryRun) {
        narrateDryRun(plan, log);
        return {
          plan,
          result: this.result(
            plan,
            plan.changes.map(c => `Would ${c.description}`),
            // The association the step would leave (a new one has no id yet).
            plan.changes.some(c => c.kind === 'delete-association')
              ? undefined
              : plan.association?.associationId,
          ),
        };
      }
      const { associationId } = await this.applier.apply(plan, {
        log,
        step: options.step,
      });
      const result = this.result(
        plan,
        plan.changes.map(c => c.description),
        associationId,
      );
      this.narrateOutcome(plan, result, log);
      return { plan, result };
    } finally {
      await lock.release();
    }
  }

  private narrateOutcome(
    plan: MigrationPlan,
    result: MigrationResult,
    log: Log,
  ) {
    const { to, step, namespace, serviceAccount } = plan.input;
    const [from, target] = [MECHANISM_NAMES[plan.from], MECHANISM_NAMES[to]];
    const restart = `restart them (Restart pods on the entity's IAM card, or kubectl rollout restart)`;
    const still = `${result.podsOnOld} of ${result.pods} running pods still use ${from}`;
    if (!plan.changes.length)
      log(`Nothing to change: step ${step} is already done`);
    if (step === 'start' && to === 'pod-identity')
      log(
        `Started: pods started from now on use ${target}. ${still}: ${restart}, then run step finish`,
      );
    else if (step === 'start')
      log(
        `Started: ${target} is wired beside the association, which EKS gives precedence: pods keep getting ${from} until step finish deletes the association. Run step finish, then restart the pods`,
      );
    else if (to === 'irsa' && result.podsOnOld)
      log(
        `Finished: pods started from now on use ${target}. ${still} and get no new credentials without the association: ${restart} now (${plan.oldPods.join(', ')}). Set irsa.dev/mechanism: ${to} in the entity's catalog-info.yaml`,
      );
    else
      log(
        `Finished: ${namespace}/${serviceAccount} uses ${target} only. Set irsa.dev/mechanism: ${to} in the entity's catalog-info.yaml`,
      );
  }

  private result(
    plan: MigrationPlan,
    changes: string[],
    associationId: string | undefined,
  ): MigrationResult {
    const { input, serviceAccount } = plan;
    const annotations = { ...serviceAccount.annotations };
    // What new pods get, as the webhook decides it: the mark says where the
    // workload is going, not where its pods are.
    delete annotations[ANNOTATION_IRSA_MIGRATING_TO];
    for (const change of plan.changes) {
      if (change.kind !== 'annotate') continue;
      for (const [key, value] of Object.entries(change.patch)) {
        if (value === null || key === ANNOTATION_IRSA_MIGRATING_TO)
          delete annotations[key];
        else annotations[key] = value;
      }
    }
    // What the step leaves (in a dry run: would leave).
    const hasAssociation =
      plan.changes.some(c => c.kind === 'create-association') ||
      (plan.association !== undefined &&
        !plan.changes.some(c => c.kind === 'delete-association'));
    return {
      mechanism: effectiveMechanism({
        serviceAccountAnnotations: annotations,
        hasAssociation,
      }).mechanism,
      step: input.step,
      ...(associationId ? { associationId } : {}),
      ...plan.progress,
      changes,
    };
  }
}
