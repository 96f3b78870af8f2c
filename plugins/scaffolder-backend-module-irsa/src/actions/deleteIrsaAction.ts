import type { PermissionsService } from '@backstage/backend-plugin-api';
import { NotAllowedError } from '@backstage/errors';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { irsaRoleDeletePermission } from '@backstage-irsa/plugin-irsa-common';
import {
  isCallerAllowed,
  validateEntityRef,
  type DefaultDecommissioner,
} from '@backstage-irsa/plugin-irsa-node';
import { deleteExamples } from './deleteIrsaAction.examples';
import { serviceAccountInputs } from './serviceAccountInputs';

/**
 * aws:irsa:delete — decommissions what aws:irsa:create made for one catalog
 * entity: the ServiceAccount's bindings (annotation, Pod Identity association), the policies this project created
 * and attached, and the role. Refuses anything the entity does not own.
 */
export function createDeleteIrsaAction(options: {
  decommissioner: DefaultDecommissioner;
  permissions: PermissionsService;
}) {
  return createTemplateAction({
    id: 'aws:irsa:delete',
    description:
      "Decommissions an entity's IRSA or EKS Pod Identity role: removes the ServiceAccount's role annotations and the entity's Pod Identity association, detaches and deletes only the policies this project created or attached, then deletes the role. Anything another entity owns, or nobody manages, is refused; policies attached by someone else keep the role and are named.",
    examples: deleteExamples,
    supportsDryRun: true,
    schema: {
      input: {
        ...serviceAccountInputs(
          'Catalog entity the role belongs to; the role, its policies and the ServiceAccount must be tagged with it',
        ),
        roleName: z =>
          z
            .string()
            .optional()
            .describe(
              'Role name (default irsa-CLUSTER-NAMESPACE-SERVICEACCOUNT, as aws:irsa:create names it)',
            ),
        deleteServiceAccount: z =>
          z
            .boolean()
            .optional()
            .describe(
              "Delete the ServiceAccount (only when it is the entity's) instead of removing its role annotations and managed-by label (default false)",
            ),
      },
      output: {
        roleArn: z => z.string().describe('ARN of the role'),
        roleName: z => z.string().describe('Name of the role'),
        unbound: z =>
          z
            .array(z.string())
            .describe(
              'The bindings removed (the ServiceAccount annotations or the ServiceAccount, the Pod Identity association)',
            ),
        detachedPolicyArns: z =>
          z
            .array(z.string())
            .describe('Managed policies detached from the role'),
        deletedPolicyArns: z =>
          z
            .array(z.string())
            .describe(
              'Customer-managed policies deleted (this project created them)',
            ),
        roleDeleted: z =>
          z
            .boolean()
            .describe(
              'True when the role was deleted (in a dry run: would be); false when it was already gone',
            ),
        steps: z =>
          z
            .array(z.string())
            .describe(
              'Every step done, in order (in a dry run: what would be done)',
            ),
      },
    },
    async handler(ctx) {
      // Refuse a malformed entity ref before asking the permission framework about it.
      const entityRef = validateEntityRef(ctx.input.entityRef);
      const credentials = await ctx.getInitiatorCredentials();
      if (
        !(await isCallerAllowed(options.permissions, credentials, {
          permission: irsaRoleDeletePermission,
          resourceRef: entityRef,
        }))
      ) {
        throw new NotAllowedError(
          `You are not allowed to decommission the IRSA role of ${entityRef} (permission irsa.role.delete)`,
        );
      }
      const { result } = await options.decommissioner.decommission(
        { ...ctx.input, entityRef },
        {
          log: message => ctx.logger.info(message),
          dryRun: ctx.isDryRun,
          holder: `scaffolder task ${ctx.task.id}`,
          step: (key, fn) => ctx.checkpoint({ key, fn }),
        },
      );
      ctx.output('roleArn', result.roleArn);
      ctx.output('roleName', result.roleName);
      ctx.output('unbound', result.unbound);
      ctx.output('detachedPolicyArns', result.detachedPolicyArns);
      ctx.output('deletedPolicyArns', result.deletedPolicyArns);
      ctx.output('roleDeleted', result.roleDeleted);
      ctx.output('steps', result.steps);
    },
  });
}
