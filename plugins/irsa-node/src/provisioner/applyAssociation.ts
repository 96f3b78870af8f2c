import { isGatewayError } from '../gateways/errors';
import type {
  EksGateway,
  UpdatePodIdentityAssociationInput,
} from '../gateways/types';
import type { ApplyRun } from './ApplyRun';
import { associationName } from './podIdentityAssociation';
import type { Log, PlannedAssociation, ProvisionPlan } from './provisionTypes';

/** A removal during rollback: an association already gone counts as removed. */
async function deleting(fn: () => Promise<void>) {
  try {
    await fn();
  } catch (error) {
    if (!isGatewayError(error, 'not-found')) throw error;
  }
}

/** What the association is (for the task log): "role X" or "role X, chaining into Y". */
function roles(association: { roleArn: string; targetRoleArn?: string }) {
  return `role ${association.roleArn}${association.targetRoleArn ? `, chaining into ${association.targetRoleArn}` : ''}`;
}

/** The fields of an UpdatePodIdentityAssociation from one state to another, and only those. */
function changes(
  from: { roleArn: string; targetRoleArn?: string },
  to: { roleArn: string; targetRoleArn?: string },
): UpdatePodIdentityAssociationInput {
  return {
    ...(from.roleArn !== to.roleArn ? { roleArn: to.roleArn } : {}),
    // An empty string removes the target role.
    ...((from.targetRoleArn ?? '') !== (to.targetRoleArn ?? '')
      ? { targetRoleArn: to.targetRoleArn ?? '' }
      : {}),
  };
}

/**
 * Writes the plan's EKS Pod Identity association (after the role exists:
 * EKS checks it) and registers how to undo each change. Returns the
 * association's id.
 */
export async function writeAssociation(
  eks: EksGateway,
  plan: ProvisionPlan,
  planned: PlannedAssociation,
  run: ApplyRun,
  log: Log,
): Promise<string> {
  const { target } = plan;
  const { clusterName, existing } = planned;
  const ref = `${planned.namespace}/${planned.serviceAccount}`;

  if (existing && planned.change === 'none') {
    log(
      `Pod Identity association ${associationName(existing)} found: it already gives ${roles(planned)}`,
    );
    return existing.associationId;
  }
  if (existing && planned.change === 'update') {
    const id = existing.associationId;
    log(
      `Updating Pod Identity association ${associationName(existing)}: from ${roles(existing)} to ${roles(planned)}`,
    );
    await run.run('update Pod Identity association', 'update-association', () =>
      eks
        .updatePodIdentityAssociation(
          target,
          clusterName,
          id,
          changes(existing, planned),
        )
        .then(() => undefined),
    );
    run.onRollback(
      `Pod Identity association ${id} (back to ${roles(existing)})`,
      () =>
        eks.updatePodIdentityAssociation(
          target,
          clusterName,
          id,
          changes(planned, existing),
        ),
    );
    return id;
  }
  if (existing && planned.change === 'replace') {
    // Adopting: its tags must become ours, which only a new association carries.
    log(
      `Replacing Pod Identity association ${associationName(existing)} (adopted): deleting it and creating it again with this entity's tags`,
    );
    await run.run(
      'delete the adopted Pod Identity association',
      'replace-association',
      () =>
        eks.deletePodIdentityAssociation(
          target,
          clusterName,
          existing.associationId,
        ),
    );
    run.onRollback(
      `Pod Identity association of ${ref} (created again with ${roles(existing)})`,
      () =>
        eks.createPodIdentityAssociation(target, {
          clusterName,
          namespace: existing.namespace,
          serviceAccount: existing.serviceAccount,
          roleArn: existing.roleArn,
          ...(existing.targetRoleArn
            ? { targetRoleArn: existing.targetRoleArn }
            : {}),
          disableSessionTags: existing.disableSessionTags,
          tags: existing.tags,
        }),
    );
  }

  log(
    `Creating Pod Identity association of ${ref} on EKS cluster ${clusterName} with ${roles(planned)}`,
  );
  const created = await run.run(
    'create Pod Identity association',
    'create-association',
    async () => {
      const association = await eks.createPodIdentityAssociation(target, {
        clusterName,
        namespace: planned.namespace,
        serviceAccount: planned.serviceAccount,
        roleArn: planned.roleArn,
        ...(planned.targetRoleArn
          ? { targetRoleArn: planned.targetRoleArn }
          : {}),
        tags: planned.tags,
      });
      return {
        associationId: association.associationId,
        externalId: association.externalId ?? '',
      };
    },
  );
  run.onRollback(`Pod Identity association ${created.associationId}`, () =>
    deleting(() =>
      eks.deletePodIdentityAssociation(
        target,
        clusterName,
        created.associationId,
      ),
    ),
  );
  log(`Pod Identity association ${created.associationId} created`);
  if (planned.targetRoleArn && created.externalId)
    log(
      `The target role ${planned.targetRoleArn} must trust ${planned.roleArn} for sts:AssumeRole (with sts:ExternalId ${created.externalId}) and sts:TagSession`,
    );
  return created.associationId;
}
