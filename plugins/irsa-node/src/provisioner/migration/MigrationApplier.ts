import type { IrsaService } from '../../service/types';
import { ApplyRun, ProvisionError, type StepRunner } from '../ApplyRun';
import type { Log } from '../provisionTypes';
import type { MigrationChange, MigrationPlan } from './migrationTypes';

const capitalized = (text: string) =>
  `${text[0].toUpperCase()}${text.slice(1)}`;

/** What the writes left: the association in place, if any. */
export interface AppliedMigration {
  associationId?: string;
}

/**
 * Writes a migration plan in its order and, when a write fails, undoes the
 * earlier ones newest first: the trust goes back to the document as read,
 * an association this run created is deleted, the ServiceAccount's
 * annotations get their old values. The one write nothing can undo, an
 * association's deletion, is always the plan's last.
 */
export class MigrationApplier {
  constructor(private readonly service: IrsaService) {}

  async apply(
    plan: MigrationPlan,
    options: { log?: Log; step?: StepRunner } = {},
  ): Promise<AppliedMigration> {
    const log = options.log ?? (() => {});
    const { input } = plan;
    const run = await ApplyRun.start(
      options.step ?? ((_key, fn) => fn()),
      `irsa-migrate:${input.roleName}:${input.to}:${input.step}`,
    );
    let associationId = plan.association?.associationId;
    try {
      for (const change of plan.changes) {
        log(capitalized(change.description));
        const created = await this.write(plan, change, run);
        if (change.kind === 'create-association') associationId = created;
        if (change.kind === 'delete-association') associationId = undefined;
      }
      return { associationId };
    } catch (error) {
      const failedStep = run.stepOf(error);
      const { rolledBack, leftBehind } = await run.rollback();
      const failure = new ProvisionError(
        failedStep,
        error as Error,
        rolledBack,
        leftBehind,
      );
      log(failure.message);
      throw failure;
    }
  }

  /** One write and its undo; returns the id of an association it created. */
  private async write(
    plan: MigrationPlan,
    change: MigrationChange,
    run: ApplyRun,
  ): Promise<string | undefined> {
    const { iam, eks, kubernetes } = this.service;
    const { target, role, input, eksClusterName } = plan;
    switch (change.kind) {
      case 'trust':
        await run.run(change.description, 'trust', () =>
          iam.updateTrustPolicy(target, role.name, change.after),
        );
        run.onRollback(
          `trust policy of ${role.arn} (the document as read)`,
          () => iam.updateTrustPolicy(target, role.name, change.before),
        );
        return undefined;
      case 'create-association': {
        const id = await run.run(
          change.description,
          'create-association',
          async () =>
            (await eks.createPodIdentityAssociation(target, change.association))
              .associationId,
        );
        run.onRollback(`Pod Identity association ${id}`, () =>
          eks.deletePodIdentityAssociation(target, eksClusterName, id),
        );
        return id;
      }
      case 'annotate': {
        // Guarded by the version the plan read, and the undo by the version
        // this patch made: someone else's change is refused, never overwritten.
        const resourceVersion = await run.run(
          change.description,
          'annotate-sa',
          async () =>
            (
              await kubernetes.patchServiceAccountMetadata(
                input.cluster,
                input.namespace,
                input.serviceAccount,
                { annotations: change.patch },
                { expectedResourceVersion: change.resourceVersion },
              )
            ).resourceVersion,
        );
        run.onRollback(
          `annotations of ServiceAccount ${input.namespace}/${input.serviceAccount}`,
          () =>
            kubernetes.patchServiceAccountMetadata(
              input.cluster,
              input.namespace,
              input.serviceAccount,
              { annotations: change.restore },
              { expectedResourceVersion: resourceVersion },
            ),
        );
        return undefined;
      }
      case 'delete-association':
        await run.run(change.description, 'delete-association', () =>
          eks.deletePodIdentityAssociation(
            target,
            eksClusterName,
            change.associationId,
          ),
        );
        return undefined;
      default:
        return undefined;
    }
  }
}
