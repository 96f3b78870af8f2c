import type { PermissionsService } from '@backstage/backend-plugin-api';
import { NotAllowedError } from '@backstage/errors';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import {
  IDENTITY_MECHANISMS,
  irsaRoleMigratePermission,
  type IdentityMechanism,
} from '@backstage-irsa/plugin-irsa-common';
import {
  MIGRATION_STEPS,
  isCallerAllowed,
  validateEntityRef,
  type MigrationStep,
  type Migrator,
} from '@backstage-irsa/plugin-irsa-node';
import { migrateExamples } from './migrateIrsaAction.examples';
import { serviceAccountInputs } from './serviceAccountInputs';

// zod's enum wants a non-empty tuple; the lists are the common package's.
const MECHANISMS = IDENTITY_MECHANISMS as readonly IdentityMechanism[] as [
  IdentityMechanism,
  ...IdentityMechanism[],
];
const STEPS = MIGRATION_STEPS as readonly MigrationStep[] as [
  MigrationStep,
  ...MigrationStep[],
];

/**
 * aws:irsa:migrate — moves an entity's workload between IRSA and EKS Pod
 * Identity in two steps: start wires the new mechanism beside the old one,
 * finish removes the old one once no running pod uses it.
 */
export function createMigrateIrsaAction(options: {
  migrator: Migrator;
  permissions: PermissionsService;
}) {
  return createTemplateAction({
    id: 'aws:irsa:migrate',
    description:
      "Moves an entity's workload between IRSA and EKS Pod Identity in two steps; running pods keep working throughout. To pod-identity: start adds the Pod Identity trust statement beside the web identity one, creates the association (EKS gives it precedence, so pods started from then on get Pod Identity) and marks the ServiceAccount irsa.dev/migrating-to; finish, once no running pod uses IRSA, removes the web identity statement, the role annotation and the mark. To irsa: start adds the web identity statement and the role annotation; finish deletes the association (the cut-over: restart the pods) and removes the Pod Identity statement. Needs irsa.role.migrate on the entity; refuses anything the entity does not own; a failed step is rolled back.",
    examples: migrateExamples,
    supportsDryRun: true,
    schema: {
      input: {
        ...serviceAccountInputs(
          'Catalog entity the role belongs to; the role, the ServiceAccount and any Pod Identity association must be tagged with it',
        ),
        to: z =>
          z
            .enum(MECHANISMS)
            .describe('The mechanism to move to: irsa or pod-identity'),
        step: z =>
          z
            .enum(STEPS)
            .describe(
              'start: wire the new mechanism beside the old one; finish: remove the old one (to pod-identity: refused while a running pod still uses IRSA)',
            ),
        roleName: z =>
          z
            .string()
            .optional()
            .describe(
              'Role name (default irsa-CLUSTER-NAMESPACE-SERVICEACCOUNT, as aws:irsa:create names it)',
            ),
        dryRun: z =>
          z
            .boolean()
            .optional()
            .describe(
              'Print the exact changes (trust before and after, association, annotation patch) and write nothing (default false; a scaffolder dry run always does)',
            ),
      },
      output: {
        mechanism: z =>
          z
            .enum(MECHANISMS)
            .describe(
              'The mechanism pods started from now on get (an association takes precedence over the role annotation)',
            ),
        step: z => z.enum(STEPS).describe('The step that ran'),
        associationId: z =>
          z
            .string()
            .optional()
            .describe(
              'The Pod Identity association in place after the step (absent once a move to IRSA has finished, or in a dry run that would create it)',
            ),
        podsOnOld: z =>
          z
            .number()
            .describe(
              'Running pods still on the old mechanism: restart them (to pod-identity: before step finish; to irsa: right after it)',
            ),
        pods: z => z.number().describe('Running pods of the ServiceAccount'),
        changes: z =>
          z
            .array(z.string())
            .describe(
              'Every change, in order (in a dry run: what would change)',
            ),
      },
    },
    async handler(ctx) {
      const { dryRun, ...input } = ctx.input;
      // Refuse a malformed entity ref before asking the permission framework about it.
      const entityRef = validateEntityRef(input.entityRef);
      const credentials = await ctx.getInitiatorCredentials();
      if (
        !(await isCallerAllowed(options.permissions, credentials, {
          permission: irsaRoleMigratePermission,
          resourceRef: entityRef,
        }))
      ) {
        throw new NotAllowedError(
          `entityRef: the task's initiator may not migrate ${entityRef} (${irsaRoleMigratePermission.name})`,
        );
      }
      const { result } = await options.migrator.migrate(
        { ...input, entityRef },
        {
          log: message => ctx.logger.info(message),
          dryRun: ctx.isDryRun || dryRun === true,
          holder: `scaffolder task ${ctx.task.id}`,
          step: (key, fn) => ctx.checkpoint({ key, fn }),
        },
      );
      ctx.output('mechanism', result.mechanism);
      ctx.output('step', result.step);
      if (result.associationId)
        ctx.output('associationId', result.associationId);
      ctx.output('podsOnOld', result.podsOnOld);
      ctx.output('pods', result.pods);
      ctx.output('changes', result.changes);
    },
  });
}
