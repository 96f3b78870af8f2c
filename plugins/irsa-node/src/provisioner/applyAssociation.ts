import { isGatewayError } from '../gateways/errors';
import type {
  EksGateway,
  UpdatePodIdentityAssociationInput,
} from '../gateways/types';
import type { ApplyRun } from './ApplyRun';
import { convergeTags } from './convergeTags';
import { associationName } from './podIdentityAssociation';
import type { Log, PlannedAssociation, ProvisionPlan } from './provisionTypes';
import { RESERVED_TAG_PREFIX } from './settings';

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

/** What an association gives pods; session tags are on unless disabled. */
interface AssociationState {
  roleArn: string;
  targetRoleArn?: string;
  disableSessionTags?: boolean;
}

/**
 * The fields of an UpdatePodIdentityAssociation from one state to another,
 * and only those. The plan's state has session tags on: the trust this
 * project writes pins the session tags EKS sets.
 */
function changes(
  from: AssociationState,
  to: AssociationState,
): UpdatePodIdentityAssociationInput {
  const sessionTagsOff = to.disableSessionTags ?? false;
  return {
    ...(from.roleArn !== to.roleArn ? { roleArn: to.roleArn } : {}),
    // An empty string removes the target role.
    ...((from.targetRoleArn ?? '') !== (to.targetRoleArn ?? '')
      ? { targetRoleArn: to.targetRoleArn ?? '' }
      : {}),
    ...((from.disableSessionTags ?? false) !== sessionTagsOff
      ? { disableSessionTags: sessionTagsOff }
      : {}),
  };
}

/** The previous owner's `irsa.dev/*` tags that ours do not overwrite: they no longer apply. */
function staleOwnershipKeys(
  current: Record<string, string>,
  ours: Record<string, string>,
): string[] {
  return Object.keys(current).filter(
    key => key.startsWith(RESERVED_TAG_PREFIX) && !(key in ours),
  );
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

  if (existing) {
    const id = existing.associationId;
    const name = associationName(existing);
    if (planned.change === 'adopt') {
      // In place, never deleted and created again: the id stays, and running
      // pods keep getting credentials throughout.
      log(
        `Adopting Pod Identity association ${name}: retagging it for this entity (its id stays)`,
      );
      await convergeTags(
        run,
        `Pod Identity association ${id}`,
        existing.tags,
        planned.tags,
        {
          tag: tags => eks.tagResource(target, existing.associationArn, tags),
          untag: keys =>
            eks.untagResource(target, existing.associationArn, keys),
        },
        staleOwnershipKeys(existing.tags, planned.tags),
      );
    }
    const update = changes(existing, planned);
    if (!Object.keys(update).length) {
      log(
        `Pod Identity association ${name} found: it already gives ${roles(planned)}`,
      );
      return id;
    }
    const what = [
      'roleArn' in update || 'targetRoleArn' in update
        ? `from ${roles(existing)} to ${roles(planned)}`
        : undefined,
      update.disableSessionTags === false ? 'session tags on' : undefined,
    ];
    log(
      `Updating Pod Identity association ${name}: ${what.filter(Boolean).join(', ')}`,
    );
    await run.run('update Pod Identity association', 'update-association', () =>
      eks
        .updatePodIdentityAssociation(target, clusterName, id, update)
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
