import type { PermissionsService } from '@backstage/backend-plugin-api';
import { InputError, NotAllowedError } from '@backstage/errors';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import {
  IDENTITY_MECHANISMS,
  IRSA_VERIFY_REQUESTED_TOPIC,
  checkTitle,
  irsaEntityVerifyPermission,
  type IdentityMechanism,
  type IrsaVerifyRequestedEvent,
  parseRoleArn,
  type VerificationReport,
} from '@backstage-irsa/plugin-irsa-common';
import {
  isCallerAllowed,
  validateEntityRef,
  validateNamespace,
  validateServiceAccountName,
  type ClusterRegistry,
  type Verifier,
} from '@backstage-irsa/plugin-irsa-node';
import type { EventsService } from '@backstage/plugin-events-node';
import { serviceAccountInputs } from './serviceAccountInputs';

/** The action's input once every field is checked. */
interface VerifyInput {
  cluster: string;
  namespace: string;
  serviceAccount: string;
  roleArn?: string;
  mechanism?: IdentityMechanism;
  entityRef: string;
}

/** Checks every field; throws InputError "field: rule" on the first bad one. */
export function validateVerifyInput(
  input: {
    cluster: string;
    namespace: string;
    serviceAccount: string;
    roleArn?: string;
    mechanism?: string;
    entityRef: string;
  },
  clusters: ClusterRegistry,
): VerifyInput {
  const configured = clusters.list().map(c => c.name);
  if (!configured.includes(input.cluster)) {
    throw new InputError(
      `cluster: must be one of the clusters configured under irsa.clusters (${configured.join(', ')})`,
    );
  }
  const namespace = validateNamespace(input.namespace);
  const serviceAccount = validateServiceAccountName(input.serviceAccount);
  if (input.roleArn !== undefined) parseRoleArn(input.roleArn, 'roleArn');
  const mechanism = input.mechanism || undefined;
  if (mechanism && !(IDENTITY_MECHANISMS as string[]).includes(mechanism)) {
    throw new InputError(
      `mechanism: must be one of ${IDENTITY_MECHANISMS.join(', ')} (or empty)`,
    );
  }
  const entityRef = validateEntityRef(input.entityRef);
  return {
    cluster: input.cluster,
    namespace,
    serviceAccount,
    ...(input.roleArn !== undefined ? { roleArn: input.roleArn } : {}),
    ...(mechanism ? { mechanism: mechanism as IdentityMechanism } : {}),
    entityRef,
  };
}

/**
 * aws:irsa:verify — runs every check for an entity's ServiceAccount with
 * the shared verifier (binding first) and fails the step when a check
 * fails. The report goes to the step's outputs only: a task never stores or
 * publishes an entity's report. It asks the irsa backend (events topic
 * irsa.verify-requested, only the entity ref) to verify the entity itself,
 * so the new component's card is filled once the catalog has it.
 */
export function createVerifyAction(options: {
  verifier: Verifier;
  clusters: ClusterRegistry;
  permissions: PermissionsService;
  events?: EventsService;
}) {
  const { verifier, clusters, permissions, events } = options;
  return createTemplateAction({
    id: 'aws:irsa:verify',
    description:
      "Runs the IRSA checks for an entity's ServiceAccount (including a live credential exchange) and fails the step when a check fails. Needs irsa.entity.verify on the entity.",
    schema: {
      input: {
        ...serviceAccountInputs(
          'Catalog entity the role and ServiceAccount belong to (kind:namespace/name); the caller needs irsa.entity.verify on it',
        ),
        roleArn: z =>
          z
            .string()
            .optional()
            .describe(
              'Expected role ARN (default: the ServiceAccount annotation)',
            ),
        mechanism: z =>
          z
            .string()
            .optional()
            .describe(
              'The mechanism aws:irsa:create set up (its `mechanism` output): irsa or pod-identity; default: what the cluster shows',
            ),
        waitForPropagationSeconds: z =>
          z
            .number()
            .min(0)
            .max(600)
            .optional()
            .describe(
              'How long to retry the credential exchange while IAM propagates a new role (default 60)',
            ),
      },
      output: {
        status: z =>
          z.string().describe('Overall status: pass, warn, fail or unknown'),
        report: z =>
          z
            .record(z.string(), z.unknown())
            .describe('The full verification report'),
      },
    },
    async handler(ctx) {
      const { waitForPropagationSeconds = 60, ...raw } = ctx.input;
      const request = validateVerifyInput(raw, clusters);
      const credentials = await ctx.getInitiatorCredentials();
      const allowed = await isCallerAllowed(permissions, credentials, {
        permission: irsaEntityVerifyPermission,
        resourceRef: request.entityRef,
      });
      if (!allowed) {
        throw new NotAllowedError(
          `entityRef: the task's initiator may not verify ${request.entityRef} (${irsaEntityVerifyPermission.name})`,
        );
      }
      ctx.logger.info(
        `Verifying ${request.namespace}/${request.serviceAccount} on ${request.cluster} for ${request.entityRef}`,
      );
      const report: VerificationReport = await verifier.verify(
        { ...request, trigger: 'provision' },
        {
          waitForPropagationMs: waitForPropagationSeconds * 1000,
          signal: ctx.signal,
          onCheck: check =>
            ctx.logger.info(
              `${check.status.toUpperCase().padEnd(7)} ${checkTitle(check)}: ${check.message}`,
            ),
        },
      );
      ctx.output('status', report.status);
      ctx.output('report', report as unknown as Record<string, unknown>);
      const verifyRequest: IrsaVerifyRequestedEvent = {
        entityRef: request.entityRef,
      };
      await events?.publish({
        topic: IRSA_VERIFY_REQUESTED_TOPIC,
        eventPayload: verifyRequest,
      });
      const failed = report.checks.filter(
        c => c.status === 'fail' || c.status === 'unknown',
      );
      if (failed.length) {
        throw new InputError(
          `IRSA verification ${report.status}: ${failed.map(c => `${checkTitle(c)}: ${c.message}${c.remediation ? ` (fix: ${c.remediation})` : ''}`).join('; ')}`,
        );
      }
      ctx.logger.info(
        `All checks passed${report.status === 'warn' ? ' (with warnings)' : ''}`,
      );
    },
  });
}
