import {
  resolveSafeChildPath,
  type PermissionsService,
} from '@backstage/backend-plugin-api';
import type { Config } from '@backstage/config';
import { NotAllowedError } from '@backstage/errors';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { irsaRoleCreatePermission } from '@backstage-irsa/plugin-irsa-common';
import {
  DefaultProvisioner,
  type IrsaService,
} from '@backstage-irsa/plugin-irsa-node';
import fs from 'node:fs/promises';
import path from 'node:path';
import { createExamples } from './createIrsaAction.examples';

/** aws:irsa:create — the IAM role, its policies and the annotated ServiceAccount. */
export function createIrsaAction(options: {
  service: IrsaService;
  permissions: PermissionsService;
  config: Config;
}) {
  return createTemplateAction({
    id: 'aws:irsa:create',
    description:
      'Creates (or converges) an IAM role for a Kubernetes ServiceAccount through IRSA: trust policy for the cluster OIDC provider, the permissions policy, an IP allowlist policy, and the annotated ServiceAccount.',
    examples: createExamples,
    supportsDryRun: true,
    schema: {
      input: {
        cluster: z =>
          z.string().describe('Cluster name as configured under irsa.clusters'),
        namespace: z =>
          z.string().describe('Kubernetes namespace of the ServiceAccount'),
        serviceAccount: z => z.string().describe('ServiceAccount name'),
        policy: z =>
          z
            .union([z.string(), z.record(z.string(), z.unknown())])
            .optional()
            .describe(
              'IAM permissions policy (JSON text or object); optional when managedPolicyArns is given',
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
              'Annotate the ServiceAccount with the role ARN (default true)',
            ),
        audience: z =>
          z
            .string()
            .optional()
            .describe(
              'Sets eks.amazonaws.com/audience on the ServiceAccount; only when the token audience is not sts.amazonaws.com',
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
              'IAM path of the role and policies (default irsa.provisioning.rolePath or /)',
            ),
        permissionsBoundaryArn: z =>
          z
            .string()
            .optional()
            .describe(
              'Permissions boundary (default irsa.provisioning.permissionsBoundaryArn)',
            ),
        maxSessionDuration: z =>
          z
            .number()
            .optional()
            .describe('Maximum session duration in seconds (3600-43200)'),
        tags: z =>
          z
            .record(z.string(), z.string())
            .optional()
            .describe('Extra tags on the role and policies'),
        entityRef: z =>
          z
            .string()
            .optional()
            .describe('Catalog entity the role belongs to (written as a tag)'),
        owner: z =>
          z
            .string()
            .optional()
            .describe('Owner entity reference (written as a tag)'),
        adopt: z =>
          z
            .boolean()
            .optional()
            .describe(
              'Take over an existing role of that name not created by this action (default false)',
            ),
      },
      output: {
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
            .describe('Annotations for the ServiceAccount'),
        entityAnnotations: z =>
          z
            .record(z.string(), z.string())
            .describe('irsa.dev/* annotations for catalog-info.yaml'),
      },
    },
    async handler(ctx) {
      const { manifestPath = 'serviceaccount.yaml', ...input } = ctx.input;
      const credentials = await ctx.getInitiatorCredentials();
      const [decision] = await options.permissions.authorize(
        [{ permission: irsaRoleCreatePermission }],
        { credentials },
      );
      if (decision.result !== AuthorizeResult.ALLOW) {
        throw new NotAllowedError(
          'You are not allowed to create IRSA roles (permission irsa.role.create)',
        );
      }
      const manifestFile =
        input.serviceAccountMode === 'manifest'
          ? resolveSafeChildPath(ctx.workspacePath, manifestPath)
          : undefined;
      const provisioner = new DefaultProvisioner({
        service: options.service,
        logger: ctx.logger,
        config: options.config,
      });
      const log = (message: string) => ctx.logger.info(message);
      const plan = await provisioner.plan(input, log);

      if (ctx.isDryRun) {
        log(
          `Dry run: nothing is written. Role ${plan.roleArn}${plan.existingRole ? ' (exists; would be updated)' : ' (would be created)'}`,
        );
        log(`Trust policy:\n${JSON.stringify(plan.trustPolicy, null, 2)}`);
        if (plan.permissionsPolicy)
          log(
            `Permissions policy ${plan.permissionsPolicy.name}:\n${JSON.stringify(plan.permissionsPolicy.document, null, 2)}`,
          );
        log(
          `Allowlist policy ${plan.allowlistPolicy.name}:\n${JSON.stringify(plan.allowlistPolicy.document, null, 2)}`,
        );
        log(
          `ServiceAccount (${plan.input.serviceAccountMode}):\n${plan.manifest}`,
        );
        ctx.output('roleArn', plan.roleArn);
        ctx.output('roleName', plan.roleName);
        if (plan.permissionsPolicy)
          ctx.output('policyArn', plan.permissionsPolicy.arn);
        ctx.output('allowlistPolicyArn', plan.allowlistPolicy.arn);
        ctx.output('serviceAccountAnnotations', plan.serviceAccountAnnotations);
        ctx.output('entityAnnotations', {
          'irsa.dev/cluster': plan.input.cluster,
          'irsa.dev/service-account': `${plan.input.namespace}/${plan.input.serviceAccount}`,
          'irsa.dev/role-arn': plan.roleArn,
        });
        return;
      }

      const result = await provisioner.apply(plan, {
        log,
        step: (key, fn) =>
          ctx.checkpoint({ key, fn: fn as () => Promise<any> }),
      });
      if (manifestFile && result.manifest) {
        await fs.mkdir(path.dirname(manifestFile), { recursive: true });
        await fs.writeFile(manifestFile, result.manifest, 'utf8');
        log(`Wrote the ServiceAccount manifest to ${manifestPath}`);
      }
      ctx.output('roleArn', result.roleArn);
      ctx.output('roleName', result.roleName);
      if (result.policyArn) ctx.output('policyArn', result.policyArn);
      ctx.output('allowlistPolicyArn', result.allowlistPolicyArn);
      ctx.output('serviceAccountAnnotations', result.serviceAccountAnnotations);
      ctx.output('entityAnnotations', result.entityAnnotations);
    },
  });
}
