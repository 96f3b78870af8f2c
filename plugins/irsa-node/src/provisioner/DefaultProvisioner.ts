import type { LoggerService } from '@backstage/backend-plugin-api';
import type { Config } from '@backstage/config';
import { ConflictError, InputError } from '@backstage/errors';
import {
  ANNOTATION_IRSA_CLUSTER,
  ANNOTATION_IRSA_ROLE_ARN,
  ANNOTATION_IRSA_SERVICE_ACCOUNT,
  EKS_AUDIENCE_ANNOTATION,
  EKS_ROLE_ARN_ANNOTATION,
  buildAllowlistPolicy,
  buildTrustPolicy,
  defaultRoleName,
  findAdminEquivalentGrants,
  policySize,
  roleArn as buildRoleArn,
  type PolicyDocument,
} from '@backstage-irsa/plugin-irsa-common';
import { stringify as toYaml } from 'yaml';
import { isGatewayError } from '../gateways/errors';
import type { AwsTarget, ManagedPolicyInfo, RoleInfo } from '../gateways/types';
import type { ClusterFacts, IrsaService } from '../service/types';
import {
  validateProvisionInput,
  type ProvisionInput,
  type ValidatedInput,
} from './input';

/** Tag marking what this project created. */
export const MANAGED_BY_TAG = 'irsa.dev/managed-by';
const MANAGED_BY = 'backstage-irsa';

/** A customer-managed policy the plan writes. */
export interface PlannedPolicy {
  name: string;
  arn: string;
  document: PolicyDocument;
  /** Present when it exists already (re-run or adopt). */
  existing?: ManagedPolicyInfo;
}

/** Everything apply() will do, computed with reads only. */
export interface ProvisionPlan {
  input: ValidatedInput;
  target: AwsTarget;
  facts: ClusterFacts;
  roleName: string;
  roleArn: string;
  trustPolicy: PolicyDocument;
  tags: Record<string, string>;
  existingRole?: RoleInfo;
  attachedPolicyArns: string[];
  permissionsPolicy?: PlannedPolicy;
  allowlistPolicy: PlannedPolicy;
  serviceAccountAnnotations: Record<string, string>;
  /** The ServiceAccount manifest (written in `manifest` mode, printed in dry runs). */
  manifest: string;
}

/** What a successful apply() produced: the action's outputs. */
export interface ProvisionResult {
  roleArn: string;
  roleName: string;
  policyArn?: string;
  allowlistPolicyArn: string;
  serviceAccountAnnotations: Record<string, string>;
  entityAnnotations: Record<string, string>;
  manifest?: string;
}

/** Runs one side effect; the scaffolder passes ctx.checkpoint so retries skip done steps. */
export type StepRunner = <T extends object | string | void>(
  key: string,
  fn: () => Promise<T>,
) => Promise<T>;

/** Thrown when apply() fails: what failed and what was undone. */
export class ProvisionError extends Error {
  name = 'ProvisionError';
  constructor(
    readonly step: string,
    readonly cause: Error,
    readonly rolledBack: string[],
    readonly leftBehind: string[],
  ) {
    super(
      `${step} failed: ${cause.message}. ${rolledBack.length ? `Rolled back: ${rolledBack.join(', ')}.` : 'Nothing to roll back.'}${leftBehind.length ? ` Could not roll back: ${leftBehind.join(', ')}.` : ''}`,
    );
  }
}

const same = (a: unknown, b: unknown) =>
  JSON.stringify(a) === JSON.stringify(b);
const orUndefined = <T>(p: Promise<T>) =>
  p.catch(error => {
    if (isGatewayError(error, 'not-found')) return undefined;
    throw error;
  });

/**
 * Creates (or converges) an IRSA role, its permissions and allowlist
 * policies and the ServiceAccount. plan() validates and reads only; apply()
 * writes, concurrently where calls are independent, and undoes what the run
 * created when a step fails.
 */
export class DefaultProvisioner {
  constructor(
    private readonly options: {
      service: IrsaService;
      logger: LoggerService;
      config: Config;
    },
  ) {}

  async plan(
    raw: ProvisionInput,
    log: (message: string) => void = () => {},
  ): Promise<ProvisionPlan> {
    const { service, config } = this.options;
    const input = validateProvisionInput(raw, {
      rolePath: config.getOptionalString('irsa.provisioning.rolePath'),
      permissionsBoundaryArn: config.getOptionalString(
        'irsa.provisioning.permissionsBoundaryArn',
      ),
    });
    if (
      input.policy &&
      !config.getOptionalBoolean('irsa.provisioning.allowAdminEquivalent')
    ) {
      const grants = findAdminEquivalentGrants(input.policy, {
        allowedActions: config.getOptionalStringArray(
          'irsa.provisioning.guardrails.allowedActions',
        ),
        deniedActions: config.getOptionalStringArray(
          'irsa.provisioning.guardrails.deniedActions',
        ),
      });
      if (grants.length) {
        throw new InputError(
          `policy: refused by the guardrails (irsa.provisioning.allowAdminEquivalent is off): ${grants.join('; ')}`,
        );
      }
    }
    const cluster = service.clusters.get(input.cluster);
    const target = { accountId: cluster.accountId, region: cluster.region };
    const roleName =
      input.roleName ??
      defaultRoleName(cluster.name, input.namespace, input.serviceAccount);
    const roleArn = buildRoleArn({
      partition: cluster.partition,
      accountId: cluster.accountId,
      roleName,
      path: input.rolePath,
    });
    const policyArn = (name: string) =>
      `arn:${cluster.partition}:iam::${cluster.accountId}:policy${input.rolePath}${name}`;
    const allowlistName = `${roleName}-allowlist`;

    log(
      `Preflight: reading cluster ${cluster.name}, account quotas and existing resources (no changes yet)`,
    );
    const [
      facts,
      quotas,
      existingRole,
      existingPermissions,
      existingAllowlist,
    ] = await Promise.all([
      service.facts.get(cluster.name),
      service.iam.getAccountQuotas(target),
      orUndefined(service.iam.getRole(target, roleName)),
      input.policy
        ? orUndefined(service.iam.getPolicy(target, policyArn(roleName)))
        : undefined,
      orUndefined(service.iam.getPolicy(target, policyArn(allowlistName))),
    ]);
    if (!facts.oidcProviderExists) {
      throw new InputError(
        `cluster: ${cluster.name} has no IAM OIDC provider for ${facts.issuer}; create it first with: eksctl utils associate-iam-oidc-provider --cluster ${cluster.eksClusterName} --region ${cluster.region} --approve`,
      );
    }
    const serviceAccountRef = `${input.namespace}/${input.serviceAccount}`;
    const ours = (tags: Record<string, string>) =>
      tags[MANAGED_BY_TAG] === MANAGED_BY &&
      tags['irsa.dev/service-account'] === serviceAccountRef &&
      tags['irsa.dev/cluster'] === cluster.name;
    for (const [kind, existing] of [
      ['role', existingRole],
      ['policy', existingPermissions],
      ['policy', existingAllowlist],
    ] as const) {
      if (existing && !ours(existing.tags) && !input.adopt) {
        throw new ConflictError(
          `roleName: ${kind} ${'name' in existing ? existing.name : ''} already exists and was not created by IRSA for Backstage for ${serviceAccountRef} on ${cluster.name}; choose another roleName or set adopt: true to take it over`,
        );
      }
    }

    const trustPolicy = buildTrustPolicy({
      oidcProviderArn: facts.oidcProviderArn,
      issuer: facts.issuer,
      namespace: input.namespace,
      serviceAccount: input.serviceAccount,
      audience: input.audience,
    }).document;
    const allowlist = buildAllowlistPolicy({
      publicCidrs: [
        ...new Set([
          ...facts.natPublicIps.map(ip => `${ip}/32`),
          ...input.ipAllowList,
        ]),
      ],
      vpcIds: facts.vpcId ? [facts.vpcId] : [],
    }).document;
    const sizes: Array<[string, number, number]> = [
      ['trust policy', policySize(trustPolicy), quotas.assumeRolePolicySizeMax],
      ['allowlist policy', policySize(allowlist), quotas.policySizeQuota],
      ...(input.policy
        ? [
            ['policy', policySize(input.policy), quotas.policySizeQuota] as [
              string,
              number,
              number,
            ],
          ]
        : []),
    ];
    for (const [what, size, max] of sizes) {
      if (size > max)
        throw new InputError(
          `${what === 'policy' ? 'policy' : 'ipAllowList'}: the ${what} has ${size} characters, over the account's quota of ${max}`,
        );
    }
    if (!existingRole && quotas.roles >= quotas.rolesQuota) {
      throw new InputError(
        `roleName: the account has ${quotas.roles} of its ${quotas.rolesQuota} roles; ask for a quota increase`,
      );
    }
    const attachedPolicyArns = existingRole
      ? (await service.iam.listAttachedRolePolicies(target, roleName)).map(
          p => p.arn,
        )
      : [];

    const tags: Record<string, string> = {
      ...input.tags,
      [MANAGED_BY_TAG]: MANAGED_BY,
      'irsa.dev/cluster': cluster.name,
      'irsa.dev/service-account': serviceAccountRef,
      ...(input.entityRef ? { 'irsa.dev/entity-ref': input.entityRef } : {}),
      ...(input.owner ? { 'irsa.dev/owner': input.owner } : {}),
    };
    const serviceAccountAnnotations: Record<string, string> = {
      [EKS_ROLE_ARN_ANNOTATION]: roleArn,
      ...(input.audience ? { [EKS_AUDIENCE_ANNOTATION]: input.audience } : {}),
    };
    return {
      input,
      target,
      facts,
      roleName,
      roleArn,
      trustPolicy,
      tags,
      existingRole,
      attachedPolicyArns,
      permissionsPolicy: input.policy
        ? {
            name: roleName,
            arn: policyArn(roleName),
            document: input.policy,
            existing: existingPermissions,
          }
        : undefined,
      allowlistPolicy: {
        name: allowlistName,
        arn: policyArn(allowlistName),
        document: allowlist,
        existing: existingAllowlist,
      },
      serviceAccountAnnotations,
      manifest: toYaml({
        apiVersion: 'v1',
        kind: 'ServiceAccount',
        metadata: {
          name: input.serviceAccount,
          namespace: input.namespace,
          annotations: serviceAccountAnnotations,
        },
      }),
    };
  }

  async apply(
    plan: ProvisionPlan,
    options: { log?: (message: string) => void; step?: StepRunner } = {},
  ): Promise<ProvisionResult> {
    const { iam } = this.options.service;
    const log = options.log ?? (() => {});
    const step: StepRunner = options.step ?? ((_key, fn) => fn());
    const { target, roleName, input } = plan;
    const undo: Array<{ what: string; fn: () => Promise<unknown> }> = [];
    let current = 'preparing';
    const run = async <T extends object | string | void>(
      name: string,
      key: string,
      fn: () => Promise<T>,
    ) => {
      current = name;
      return step(`irsa:${key}:${roleName}`, fn);
    };

    try {
      if (!plan.existingRole) {
        log(
          `Creating role ${roleName} trusting ${plan.facts.oidcProviderArn} for system:serviceaccount:${input.namespace}:${input.serviceAccount}`,
        );
        await run('create role', 'create-role', async () => {
          await iam.createRole(target, {
            name: roleName,
            path: input.rolePath,
            trustPolicy: plan.trustPolicy,
            description: `IRSA role for ${input.namespace}/${input.serviceAccount} on ${input.cluster}`,
            maxSessionDuration: input.maxSessionDuration,
            permissionsBoundaryArn: input.permissionsBoundaryArn,
            tags: plan.tags,
          });
          return 'created';
        });
        undo.push({
          what: `role ${roleName}`,
          fn: () => iam.deleteRole(target, roleName),
        });
      } else {
        const existing = plan.existingRole;
        log(
          `Role ${roleName} exists${input.adopt ? ' (adopting it)' : ''}: updating its trust policy and tags to match`,
        );
        await Promise.all([
          same(existing.trustPolicy, plan.trustPolicy)
            ? undefined
            : run('update trust policy', 'update-trust', async () =>
                iam.updateTrustPolicy(target, roleName, plan.trustPolicy),
              ),
          Object.entries(plan.tags).every(([k, v]) => existing.tags[k] === v)
            ? undefined
            : run('tag role', 'tag-role', async () =>
                iam.tagRole(target, roleName, plan.tags),
              ),
        ]);
      }

      // The two customer-managed policies are independent: write them together.
      const policies = [plan.permissionsPolicy, plan.allowlistPolicy].filter(
        (p): p is PlannedPolicy => Boolean(p),
      );
      await Promise.all(
        policies.map(p => this.writePolicy(plan, p, run, undo, log)),
      );

      const wanted = [...policies.map(p => p.arn), ...input.managedPolicyArns];
      const toAttach = wanted.filter(
        arn => !plan.attachedPolicyArns.includes(arn),
      );
      // Managed policies dropped from the inputs since the last run (ours only).
      const toDetach = plan.existingRole
        ? plan.attachedPolicyArns.filter(arn => !wanted.includes(arn))
        : [];
      if (toAttach.length) log(`Attaching ${toAttach.join(', ')}`);
      await Promise.all(
        toAttach.map(async arn => {
          await run(`attach ${arn}`, `attach-${arn}`, async () =>
            iam.attachRolePolicy(target, roleName, arn),
          );
          undo.push({
            what: `attachment of ${arn}`,
            fn: () => iam.detachRolePolicy(target, roleName, arn),
          });
        }),
      );
      if (toDetach.length) {
        log(`Detaching policies no longer requested: ${toDetach.join(', ')}`);
        await Promise.all(
          toDetach.map(arn =>
            run(`detach ${arn}`, `detach-${arn}`, async () =>
              iam.detachRolePolicy(target, roleName, arn),
            ),
          ),
        );
      }

      log(`Waiting until IAM shows the role (IAM is eventually consistent)`);
      await run('wait for role', 'wait-role', async () =>
        iam.waitUntilRoleExists(target, roleName, 60_000),
      );

      const manifest = await this.applyServiceAccount(plan, run, log);
      const result: ProvisionResult = {
        roleArn: plan.roleArn,
        roleName,
        ...(plan.permissionsPolicy
          ? { policyArn: plan.permissionsPolicy.arn }
          : {}),
        allowlistPolicyArn: plan.allowlistPolicy.arn,
        serviceAccountAnnotations: plan.serviceAccountAnnotations,
        entityAnnotations: {
          [ANNOTATION_IRSA_CLUSTER]: input.cluster,
          [ANNOTATION_IRSA_SERVICE_ACCOUNT]: `${input.namespace}/${input.serviceAccount}`,
          [ANNOTATION_IRSA_ROLE_ARN]: plan.roleArn,
        },
        ...(manifest ? { manifest } : {}),
      };
      log(`Done: ${plan.roleArn}`);
      return result;
    } catch (error) {
      const rolledBack: string[] = [];
      const leftBehind: string[] = [];
      // Undo in reverse order: attachments, then policies, then the role.
      for (const { what, fn } of undo.reverse()) {
        try {
          await fn();
          rolledBack.push(what);
        } catch (undoError) {
          leftBehind.push(`${what} (${(undoError as Error).message})`);
        }
      }
      const failure = new ProvisionError(
        current,
        error as Error,
        rolledBack,
        leftBehind,
      );
      log(failure.message);
      throw failure;
    }
  }

  private async writePolicy(
    plan: ProvisionPlan,
    policy: PlannedPolicy,
    run: <T extends object | string | void>(
      name: string,
      key: string,
      fn: () => Promise<T>,
    ) => Promise<T>,
    undo: Array<{ what: string; fn: () => Promise<unknown> }>,
    log: (message: string) => void,
  ) {
    const { iam } = this.options.service;
    const { target } = plan;
    if (!policy.existing) {
      log(`Creating policy ${policy.name}`);
      await run(
        `create policy ${policy.name}`,
        `create-policy-${policy.name}`,
        async () => {
          await iam.createPolicy(target, {
            name: policy.name,
            path: plan.input.rolePath,
            document: policy.document,
            tags: plan.tags,
          });
          return 'created';
        },
      );
      undo.push({
        what: `policy ${policy.name}`,
        fn: () => iam.deletePolicy(target, policy.arn),
      });
      return;
    }
    const current = await iam.getPolicyVersion(
      target,
      policy.arn,
      policy.existing.defaultVersionId,
    );
    if (same(current, policy.document)) {
      log(`Policy ${policy.name} is up to date`);
      return;
    }
    log(
      `Updating policy ${policy.name} (new default version; the oldest is pruned at IAM's limit of 5)`,
    );
    await run(
      `update policy ${policy.name}`,
      `version-${policy.name}`,
      async () => iam.createPolicyVersion(target, policy.arn, policy.document),
    );
  }

  private async applyServiceAccount(
    plan: ProvisionPlan,
    run: <T extends object | string | void>(
      name: string,
      key: string,
      fn: () => Promise<T>,
    ) => Promise<T>,
    log: (message: string) => void,
  ): Promise<string | undefined> {
    const { input } = plan;
    if (input.serviceAccountMode === 'manifest') return plan.manifest;
    if (input.serviceAccountMode === 'none' || !input.annotateServiceAccount) {
      log(
        'Leaving the ServiceAccount alone (serviceAccountMode none or annotateServiceAccount false)',
      );
      return undefined;
    }
    const { kubernetes } = this.options.service;
    const ref = `${input.namespace}/${input.serviceAccount}`;
    const existing = await kubernetes.getServiceAccount(
      input.cluster,
      input.namespace,
      input.serviceAccount,
    );
    if (!existing) {
      log(
        `Creating ServiceAccount ${ref} annotated with ${EKS_ROLE_ARN_ANNOTATION}`,
      );
      await run('create ServiceAccount', 'create-sa', async () =>
        kubernetes.createServiceAccount(input.cluster, {
          namespace: input.namespace,
          name: input.serviceAccount,
          annotations: plan.serviceAccountAnnotations,
        }),
      );
    } else if (
      Object.entries(plan.serviceAccountAnnotations).some(
        ([k, v]) => existing.annotations[k] !== v,
      )
    ) {
      log(
        `Annotating ServiceAccount ${ref} (only ${Object.keys(plan.serviceAccountAnnotations).join(', ')}; other annotations untouched). Restart its pods to pick up the role.`,
      );
      await run('annotate ServiceAccount', 'annotate-sa', async () =>
        kubernetes.patchServiceAccountAnnotations(
          input.cluster,
          input.namespace,
          input.serviceAccount,
          plan.serviceAccountAnnotations,
        ),
      );
    } else {
      log(`ServiceAccount ${ref} is already annotated`);
    }
    return undefined;
  }
}
