import {
  resolveSafeChildPath,
  type PermissionsService,
} from '@backstage/backend-plugin-api';
import { NotAllowedError } from '@backstage/errors';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import {
  IDENTITY_MECHANISMS,
  irsaRoleAdoptPermission,
  irsaRoleUpdatePermission,
  irsaRoleCreatePermission,
  type IdentityMechanism,
} from '@backstage-irsa/plugin-irsa-common';
import {
  isCallerAllowed,
  planOutputs,
  type DefaultProvisioner,
  type PlannedAssociation,
  type ProvisionPlan,
  type ProvisionResult,
} from '@backstage-irsa/plugin-irsa-node';
import fs from 'node:fs/promises';
import path from 'node:path';
import { createExamples } from './createIrsaAction.examples';
import { serviceAccountInputs } from './serviceAccountInputs';

/** The association step of a dry run, as the task log says it. */
function associationStep(association: PlannedAssociation): string {
  const ref = `${association.namespace}/${association.serviceAccount}`;
  const roles = `role ${association.roleArn}${association.targetRoleArn ? `, chaining into ${association.targetRoleArn}` : ''}`;
  const id = association.existing?.associationId;
  switch (association.change) {
    case 'none':
      return `Pod Identity association ${id} of ${ref}: up to date (${roles})`;
    case 'update':
      return `Would update Pod Identity association ${id} of ${ref} to ${roles}`;
    case 'adopt':
      return `Would adopt Pod Identity association ${id} of ${ref} in place (retagged for this entity, same id) for ${roles}`;
    default:
      return `Would create a Pod Identity association of ${ref} on EKS cluster ${association.clusterName} for ${roles}`;
  }
}

function narrateDryRun(plan: ProvisionPlan, log: (message: string) => void) {
  log(
    `Dry run: nothing is written. Mechanism ${plan.mechanism}. Role ${plan.roleArn}${plan.existingRole ? ' (exists; would be updated)' : ' (would be created)'}`,
  );
  if (plan.adoptions.length)
    log(
      `Would adopt: ${plan.adoptions.map(a => `${a.kind} ${a.name}`).join(', ')}`,
    );
  log(`Trust policy:\n${JSON.stringify(plan.trustPolicy, null, 2)}`);
  if (plan.permissionsPolicy)
    log(
      `Permissions policy ${plan.permissionsPolicy.name}:\n${JSON.stringify(plan.permissionsPolicy.document, null, 2)}`,
    );
  log(
    `Allowlist policy ${plan.allowlistPolicy.name}:\n${JSON.stringify(plan.allowlistPolicy.document, null, 2)}`,
  );
  if (plan.toAttach.length) log(`Would attach: ${plan.toAttach.join(', ')}`);
  if (plan.toDetach.length) log(`Would detach: ${plan.toDetach.join(', ')}`);
  if (plan.kept.length)
    log(
      `Would leave in place (attached by someone else): ${plan.kept.join(', ')}`,
    );
  if (plan.association) log(associationStep(plan.association));
  log(`ServiceAccount (${plan.input.serviceAccountMode}):\n${plan.manifest}`);
}

/** Every output of the action, from a result or (dry run) a plan. */
function output(
  ctx: { output(name: string, value: unknown): void },
  outputs: Omit<ProvisionResult, 'manifest'>,
) {
  for (const [name, value] of Object.entries(outputs))
    if (value !== undefined) ctx.output(name, value);
}

/** aws:irsa:create — the IAM role, its policies and the annotated ServiceAccount. */
export function createIrsaAction(options: {
  provisioner: DefaultProvisioner;
  permissions: PermissionsService;
}) {
  return createTemplateAction({
    id: 'aws:irsa:create',
    description:
      "Creates (or converges) an IAM role for a Kubernetes ServiceAccount through IRSA (trust for the cluster's OIDC provider, the annotated ServiceAccount) or EKS Pod Identity (trust for pods.eks.amazonaws.com scoped to the cluster and ServiceAccount, an association), with the permissions policy and an IP allowlist policy.",
    examples: createExamples,
    supportsDryRun: true,
    schema: {
      input: {
        ...serviceAccountInputs(
          'Catalog entity the role belongs to, written on the role, its policies and the ServiceAccount; a run for another entity cannot touch them',
        ),
        mechanism: z =>
          z
            .union([
              z.enum(IDENTITY_MECHANISMS as [IdentityMechanism]),
              z.literal(''),
            ])
            .optional()
            .describe(
              "irsa (ServiceAccount annotation) or pod-identity (EKS Pod Identity association); absent or empty: the cluster's irsa.clusters[].defaultMechanism",
            ),
        targetRoleArn: z =>
          z
            .string()
            .optional()
            .describe(
              'Pod Identity only: a role in another account the association chains into (cross-account); its account must be in irsa.provisioning.podIdentity.targetAccounts and the role needs an IP allowlist covering the cluster',
            ),
        policy: z =>
          z
            .union([z.string(), z.record(z.string(), z.unknown())])
            .optional()
            .describe(
              'IAM permissions policy (JSON text or object); optional when managedPolicyArns (or, for Pod Identity, targetRoleArn) is given',
            ),
        managedPolicyArns: z =>
          z
            .array(z.string())
            .optional()
            .describe('Managed policy ARNs to attach as well'),
        ipAllowList: z =>
          z
            .array(z.string())
            .optional()
            .describe(
              "Extra public CIDRs allowed besides the cluster's NAT IPs and VPC",
            ),
        serviceAccountMode: z =>
          z
            .enum(['apply', 'manifest', 'none'])
            .optional()
            .describe(
              'apply: create or annotate through the Kubernetes API (default); manifest: write a YAML into the workspace (GitOps); none',
            ),
        manifestPath: z =>
          z
            .string()
            .optional()
            .describe(
              'Workspace path of the ServiceAccount YAML in manifest mode (default serviceaccount.yaml)',
            ),
        annotateServiceAccount: z =>
          z
            .boolean()
            .optional()
            .describe(
              "Write the ServiceAccount: IRSA's role annotation, and this project's labels and annotations (default true)",
            ),
        audience: z =>
          z
            .string()
            .optional()
            .describe(
              'IRSA only: sets eks.amazonaws.com/audience on the ServiceAccount, when the token audience is not sts.amazonaws.com',
            ),
        roleName: z =>
          z
            .string()
            .optional()
            .describe(
              'Role name (default irsa-CLUSTER-NAMESPACE-SERVICEACCOUNT, at most 64 characters)',
            ),
        rolePath: z =>
          z
            .string()
            .optional()
            .describe(
              'IAM path of the role and policies: irsa.provisioning.rolePath (the default) or a path below it',
            ),
        permissionsBoundaryArn: z =>
          z
            .string()
            .optional()
            .describe(
              "Permissions boundary; the platform's irsa.provisioning.permissionsBoundaryArn always applies and cannot be replaced",
            ),
        maxSessionDuration: z =>
          z
            .number()
            .optional()
            .describe(
              'Maximum session duration in seconds (3600 up to irsa.provisioning.maxSessionDuration)',
            ),
        tags: z =>
          z
            .record(z.string(), z.string())
            .optional()
            .describe(
              'Extra tags on the role, the policies and the Pod Identity association (not irsa.dev/* nor the platform tags)',
            ),
        owner: z =>
          z
            .string()
            .describe('Owner entity reference (written beside the entity ref)'),
        adopt: z =>
          z
            .boolean()
            .optional()
            .describe(
              'Take over a role, policy or ServiceAccount that another entity owns or nobody manages (needs the permission irsa.role.adopt on this entity and on the current owner; default false)',
            ),
      },
      output: {
        mechanism: z =>
          z
            .enum(IDENTITY_MECHANISMS as [IdentityMechanism])
            .describe('How pods get the role: irsa or pod-identity'),
        associationId: z =>
          z
            .string()
            .optional()
            .describe(
              "Pod Identity: the id of the ServiceAccount's association (in a dry run, only when it exists)",
            ),
        roleArn: z => z.string().describe('ARN of the role'),
        roleName: z => z.string().describe('Name of the role'),
        policyArn: z =>
          z
            .string()
            .optional()
            .describe(
              'ARN of the permissions policy (absent when only managed policies are used)',
            ),
        allowlistPolicyArn: z =>
          z.string().describe('ARN of the IP allowlist policy'),
        serviceAccountAnnotations: z =>
          z
            .record(z.string(), z.string())
            .describe(
              'Annotations for the ServiceAccount (none for Pod Identity)',
            ),
        entityAnnotations: z =>
          z
            .record(z.string(), z.string())
            .describe('irsa.dev/* annotations for catalog-info.yaml'),
        keptPolicyArns: z =>
          z
            .array(z.string())
            .describe(
              'Managed policies attached to the role by someone else, left in place',
            ),
      },
    },
    async handler(ctx) {
      const {
        manifestPath = 'serviceaccount.yaml',
        mechanism,
        ...rest
      } = ctx.input;
      // Empty is the template's "cluster default".
      const input = { ...rest, ...(mechanism ? { mechanism } : {}) };
      const credentials = await ctx.getInitiatorCredentials();
      if (
        !(await isCallerAllowed(options.permissions, credentials, {
          permission: irsaRoleCreatePermission,
        }))
      ) {
        throw new NotAllowedError(
          'You are not allowed to create IRSA roles (permission irsa.role.create)',
        );
      }
      const manifestFile =
        input.serviceAccountMode === 'manifest'
          ? resolveSafeChildPath(ctx.workspacePath, manifestPath)
          : undefined;
      const log = (message: string) => ctx.logger.info(message);
      const { plan, result } = await options.provisioner.provision(input, {
        log,
        dryRun: ctx.isDryRun,
        holder: `scaffolder task ${ctx.task.id}`,
        step: (key, fn) => ctx.checkpoint({ key, fn }),
        caller: {
          mayAdopt: entityRef =>
            isCallerAllowed(options.permissions, credentials, {
              permission: irsaRoleAdoptPermission,
              resourceRef: entityRef,
            }),
          mayUpdate: entityRef =>
            isCallerAllowed(options.permissions, credentials, {
              permission: irsaRoleUpdatePermission,
              resourceRef: entityRef,
            }),
        },
      });
      if (!result) {
        narrateDryRun(plan, log);
        output(ctx, planOutputs(plan));
        return;
      }
      if (manifestFile && result.manifest) {
        await fs.mkdir(path.dirname(manifestFile), { recursive: true });
        await fs.writeFile(manifestFile, result.manifest, 'utf8');
        log(`Wrote the ServiceAccount manifest to ${manifestPath}`);
      }
      const { manifest: _written, ...outputs } = result;
      output(ctx, outputs);
    },
  });
}
