import type { LoggerService } from '@backstage/backend-plugin-api';
import type { Config } from '@backstage/config';
import { ConflictError, InputError, NotAllowedError } from '@backstage/errors';
import {
  ANNOTATION_IRSA_CLUSTER,
  ANNOTATION_IRSA_ROLE_ARN,
  ANNOTATION_IRSA_SERVICE_ACCOUNT,
  EKS_AUDIENCE_ANNOTATION,
  EKS_ROLE_ARN_ANNOTATION,
  buildAllowlistPolicy,
  buildTrustPolicy,
  defaultRoleName,
  evaluateManagedPolicy,
  findAdminEquivalentGrants,
  policySize,
  roleArn as buildRoleArn,
  type PolicyDocument,
} from '@backstage-irsa/plugin-irsa-common';
import { stringify as toYaml } from 'yaml';
import { isGatewayError } from '../gateways/errors';
import type {
  AccessCheck,
  AwsTarget,
  ManagedPolicyInfo,
  RoleInfo,
  ServiceAccountInfo,
} from '../gateways/types';
import type { ClusterFacts, IrsaCluster, IrsaService } from '../service/types';
import { ApplyRun, ProvisionError, type StepRunner } from './ApplyRun';
import {
  checkNamespace,
  validateProvisionInput,
  type ProvisionInput,
  type ValidatedInput,
} from './input';
import {
  MANAGED_BY,
  OWNERSHIP,
  adoptionNeeded,
  attachedByUs,
  attachedPolicyTag,
  describeAdoption,
  ownershipFromServiceAccount,
  ownershipFromTags,
  type Adoption,
} from './ownership';
import { InMemoryProvisionLock, type ProvisionLock } from './ProvisionLock';
import {
  readProvisioningSettings,
  type ProvisioningSettings,
} from './settings';

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
  existingServiceAccount?: ServiceAccountInfo;
  /** Resources this run takes over from another entity or from nobody. */
  adoptions: Adoption[];
  attachedPolicyArns: string[];
  toAttach: string[];
  /** Managed policies this project attached earlier and the input no longer names. */
  toDetach: string[];
  /** Attached by someone else: left alone and reported. */
  kept: string[];
  permissionsPolicy?: PlannedPolicy;
  allowlistPolicy: PlannedPolicy;
  serviceAccountAnnotations: Record<string, string>;
  serviceAccountLabels: Record<string, string>;
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
  /** Managed policies attached by someone else, left in place. */
  keptPolicyArns: string[];
  manifest?: string;
}

/** Who is running the provisioning, as far as adopting goes. */
export interface ProvisionCaller {
  /** True when the caller holds `irsa.role.adopt` on this catalog entity. */
  mayAdopt(entityRef: string): Promise<boolean>;
}

type Log = (message: string) => void;

const same = (a: unknown, b: unknown) =>
  JSON.stringify(a) === JSON.stringify(b);
const orUndefined = <T>(p: Promise<T>) =>
  p.catch(error => {
    if (isGatewayError(error, 'not-found')) return undefined;
    throw error;
  });

/** What Backstage's identity must be allowed in the namespace before anything is written. */
function accessChecks(namespace: string, writesServiceAccount: boolean) {
  const checks: AccessCheck[] = [
    {
      verb: 'create',
      resource: 'serviceaccounts',
      subresource: 'token',
      namespace,
    },
  ];
  if (writesServiceAccount) {
    for (const verb of ['get', 'create', 'patch'])
      checks.push({ verb, resource: 'serviceaccounts', namespace });
  }
  return checks;
}

/**
 * Creates (or converges) an IRSA role, its permissions and allowlist
 * policies and the ServiceAccount, for one catalog entity. plan() validates,
 * applies the guardrails and reads; apply() writes, concurrently where calls
 * are independent, and undoes what the run changed when a step fails.
 */
export class DefaultProvisioner {
  private readonly service: IrsaService;
  private readonly settings: ProvisioningSettings;
  private readonly lock: ProvisionLock;

  constructor(options: {
    service: IrsaService;
    logger: LoggerService;
    settings: ProvisioningSettings;
    /** Serialises runs on one ServiceAccount or role (default: this process only). */
    lock?: ProvisionLock;
  }) {
    this.service = options.service;
    this.settings = options.settings;
    this.lock = options.lock ?? new InMemoryProvisionLock();
  }

  /** Reads `irsa.provisioning` once. */
  static fromConfig(options: {
    service: IrsaService;
    logger: LoggerService;
    config: Config;
    lock?: ProvisionLock;
  }): DefaultProvisioner {
    return new DefaultProvisioner({
      ...options,
      settings: readProvisioningSettings(options.config),
    });
  }

  /**
   * Plans and, unless `dryRun`, applies, holding the lock for the
   * ServiceAccount and the role meanwhile so two runs never interleave.
   */
  async provision(
    raw: ProvisionInput,
    options: {
      log?: Log;
      step?: StepRunner;
      caller?: ProvisionCaller;
      dryRun?: boolean;
      /** Names this run in a lock conflict (the task id). */
      holder?: string;
    } = {},
  ): Promise<{ plan: ProvisionPlan; result?: ProvisionResult }> {
    const input = validateProvisionInput(raw, this.settings);
    const cluster = this.service.clusters.get(input.cluster);
    const roleName = this.roleNameFor(input, cluster);
    const lock = await this.lock.acquire(
      [
        `serviceaccount:${cluster.name}/${input.namespace}/${input.serviceAccount}`,
        `role:${cluster.accountId}/${roleName}`,
      ],
      { holder: options.holder ?? 'a run', waitMs: this.settings.lockWaitMs },
    );
    try {
      const plan = await this.plan(raw, options);
      if (options.dryRun) return { plan };
      return { plan, result: await this.apply(plan, options) };
    } finally {
      await lock.release();
    }
  }

  async plan(
    raw: ProvisionInput,
    options: { log?: Log; caller?: ProvisionCaller } = {},
  ): Promise<ProvisionPlan> {
    const log = options.log ?? (() => {});
    const { service, settings } = this;
    const input = validateProvisionInput(raw, settings);
    if (input.policy && !settings.allowAdminEquivalent) {
      const grants = findAdminEquivalentGrants(
        input.policy,
        settings.guardrails,
      );
      if (grants.length)
        throw new InputError(
          `policy: refused by the guardrails (irsa.provisioning.allowAdminEquivalent is off): ${grants.join('; ')}`,
        );
    }
    const cluster = service.clusters.get(input.cluster);
    checkNamespace(cluster, input.namespace);
    this.checkManagedPolicies(
      cluster,
      input.managedPolicyArns.map(arn => ({ arn, exists: true })),
    );
    const target = { accountId: cluster.accountId, region: cluster.region };
    const roleName = this.roleNameFor(input, cluster);
    const policyArn = (name: string) =>
      `arn:${cluster.partition}:iam::${cluster.accountId}:policy${input.rolePath}${name}`;
    const allowlistName = `${roleName}-allowlist`;
    const writesServiceAccount =
      input.serviceAccountMode === 'apply' && input.annotateServiceAccount;

    log(
      `Preflight: reading cluster ${cluster.name}, account quotas, existing resources and Backstage's rights in ${input.namespace} (no changes yet)`,
    );
    const [
      facts,
      quotas,
      existingRole,
      existingPermissions,
      existingAllowlist,
      existingServiceAccount,
      access,
      managedDocuments,
      attached,
    ] = await Promise.all([
      service.facts.get(cluster.name),
      service.iam.getAccountQuotas(target),
      orUndefined(service.iam.getRole(target, roleName)),
      input.policy
        ? orUndefined(service.iam.getPolicy(target, policyArn(roleName)))
        : undefined,
      orUndefined(service.iam.getPolicy(target, policyArn(allowlistName))),
      writesServiceAccount
        ? service.kubernetes.getServiceAccount(
            cluster.name,
            input.namespace,
            input.serviceAccount,
          )
        : undefined,
      input.serviceAccountMode === 'apply'
        ? service.kubernetes.reviewAccess(
            cluster.name,
            accessChecks(input.namespace, writesServiceAccount),
          )
        : [],
      Promise.all(
        input.managedPolicyArns.map(arn => this.readManagedPolicy(target, arn)),
      ),
      // Read at once rather than after GetRole: one round trip less on a re-run.
      orUndefined(service.iam.listAttachedRolePolicies(target, roleName)),
    ]);

    this.checkManagedPolicies(cluster, managedDocuments);
    const denied = access.filter(a => !a.allowed);
    if (denied.some(a => a.subresource !== 'token')) {
      throw new NotAllowedError(
        `Backstage's Kubernetes identity on cluster ${cluster.name} may not ${denied
          .map(
            a =>
              `${a.verb} ${a.resource}${a.subresource ? `/${a.subresource}` : ''}`,
          )
          .join(
            ', ',
          )} in namespace ${input.namespace}; grant it (see the README's RBAC) before provisioning. Nothing was written`,
      );
    }
    if (denied.length)
      log(
        `Warning: Backstage may not create serviceaccounts/token in ${input.namespace} on ${cluster.name}, so the credential exchange check will be unknown`,
      );
    if (!facts.oidcProviderExists) {
      throw new InputError(
        `cluster: ${cluster.name} has no IAM OIDC provider for ${facts.issuer}; create it first with: eksctl utils associate-iam-oidc-provider --cluster ${cluster.eksClusterName} --region ${cluster.region} --approve`,
      );
    }

    const adoptions = [
      existingRole &&
        adoptionNeeded(
          'role',
          roleName,
          ownershipFromTags(existingRole.tags),
          input.entityRef,
        ),
      existingPermissions &&
        adoptionNeeded(
          'policy',
          existingPermissions.name,
          ownershipFromTags(existingPermissions.tags),
          input.entityRef,
        ),
      existingAllowlist &&
        adoptionNeeded(
          'policy',
          existingAllowlist.name,
          ownershipFromTags(existingAllowlist.tags),
          input.entityRef,
        ),
      existingServiceAccount &&
        adoptionNeeded(
          'ServiceAccount',
          `${input.namespace}/${input.serviceAccount}`,
          ownershipFromServiceAccount(existingServiceAccount),
          input.entityRef,
        ),
    ].filter((a): a is Adoption => Boolean(a));
    await this.authorizeAdoptions(
      input,
      adoptions,
      existingRole,
      options.caller,
    );

    if (existingRole && existingRole.path !== input.rolePath)
      throw new InputError(
        `rolePath: role ${roleName} exists at path ${existingRole.path}, and IAM cannot move a role; run with rolePath ${existingRole.path}`,
      );
    const roleArn = buildRoleArn({
      partition: cluster.partition,
      accountId: cluster.accountId,
      roleName,
      path: input.rolePath,
    });
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
      minimumPrefix: settings.allowlist,
    }).document;
    const sizes: Array<[string, string, number, number]> = [
      [
        'serviceAccount',
        'trust policy',
        policySize(trustPolicy),
        quotas.assumeRolePolicySizeMax,
      ],
      [
        'ipAllowList',
        'allowlist policy',
        policySize(allowlist),
        quotas.policySizeQuota,
      ],
    ];
    if (input.policy)
      sizes.push([
        'policy',
        'policy',
        policySize(input.policy),
        quotas.policySizeQuota,
      ]);
    for (const [field, what, size, max] of sizes) {
      if (size > max)
        throw new InputError(
          `${field}: the ${what} has ${size} characters, over the account's quota of ${max}`,
        );
    }
    if (!existingRole && quotas.roles >= quotas.rolesQuota) {
      throw new InputError(
        `roleName: the account has ${quotas.roles} of its ${quotas.rolesQuota} roles; ask for a quota increase`,
      );
    }
    if (settings.accessAnalyzer) {
      await this.analyze(target, [
        ['trust policy', trustPolicy, 'RESOURCE_POLICY'],
        ['allowlist policy', allowlist, 'IDENTITY_POLICY'],
        ...(input.policy
          ? [['policy', input.policy, 'IDENTITY_POLICY'] as const]
          : []),
      ]);
    }

    const attachedPolicyArns = (attached ?? []).map(p => p.arn);
    const ours = [
      ...(input.policy ? [policyArn(roleName)] : []),
      policyArn(allowlistName),
    ];
    const wanted = [...ours, ...input.managedPolicyArns];
    const rememberedByUs = existingRole ? attachedByUs(existingRole.tags) : [];
    const unwanted = attachedPolicyArns.filter(arn => !wanted.includes(arn));
    const toDetach = unwanted.filter(
      arn => rememberedByUs.includes(arn) || arn === policyArn(roleName),
    );
    const kept = unwanted.filter(arn => !toDetach.includes(arn));
    if (
      attachedPolicyArns.length -
        toDetach.length +
        wanted.filter(a => !attachedPolicyArns.includes(a)).length >
      quotas.attachedPoliciesPerRoleQuota
    ) {
      throw new InputError(
        `managedPolicyArns: the role would have more than the account's ${quotas.attachedPoliciesPerRoleQuota} managed policies (${kept.length} attached by others stay)`,
      );
    }

    const tags: Record<string, string> = {
      ...input.tags,
      [OWNERSHIP.managedBy]: MANAGED_BY,
      [OWNERSHIP.cluster]: cluster.name,
      [OWNERSHIP.serviceAccount]: `${input.namespace}/${input.serviceAccount}`,
      [OWNERSHIP.entityRef]: input.entityRef,
      [OWNERSHIP.owner]: input.owner,
    };
    const roleTags: Record<string, string> = {
      ...tags,
      ...Object.fromEntries(
        input.managedPolicyArns.map(arn => [attachedPolicyTag(arn), arn]),
      ),
    };
    const serviceAccountAnnotations: Record<string, string> = {
      [EKS_ROLE_ARN_ANNOTATION]: roleArn,
      ...(input.audience ? { [EKS_AUDIENCE_ANNOTATION]: input.audience } : {}),
    };
    const serviceAccountLabels = { [OWNERSHIP.managedBy]: MANAGED_BY };
    const ownershipAnnotations = {
      [OWNERSHIP.entityRef]: input.entityRef,
      [OWNERSHIP.owner]: input.owner,
    };
    return {
      input,
      target,
      facts,
      roleName,
      roleArn,
      trustPolicy,
      tags: roleTags,
      existingRole,
      existingServiceAccount,
      adoptions,
      attachedPolicyArns,
      toAttach: wanted.filter(arn => !attachedPolicyArns.includes(arn)),
      toDetach,
      kept,
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
      serviceAccountLabels,
      manifest: toYaml({
        apiVersion: 'v1',
        kind: 'ServiceAccount',
        metadata: {
          name: input.serviceAccount,
          namespace: input.namespace,
          labels: serviceAccountLabels,
          annotations: {
            ...serviceAccountAnnotations,
            ...ownershipAnnotations,
          },
        },
      }),
    };
  }

  async apply(
    plan: ProvisionPlan,
    options: { log?: Log; step?: StepRunner } = {},
  ): Promise<ProvisionResult> {
    const { iam } = this.service;
    const log = options.log ?? (() => {});
    const { target, roleName, input } = plan;
    const run = await ApplyRun.start(
      options.step ?? ((_key, fn) => fn()),
      `irsa:${roleName}`,
    );
    try {
      if (plan.adoptions.length)
        log(`Adopting: ${plan.adoptions.map(describeAdoption).join('; ')}`);
      await this.writeRole(plan, run, log);

      // The two customer-managed policies are independent: write them together.
      const policies = [plan.permissionsPolicy, plan.allowlistPolicy].filter(
        (p): p is PlannedPolicy => Boolean(p),
      );
      await run.all(policies.map(p => this.writePolicy(plan, p, run, log)));

      if (plan.toAttach.length) log(`Attaching ${plan.toAttach.join(', ')}`);
      await run.all(
        plan.toAttach.map(async arn => {
          await run.run(`attach ${arn}`, `attach-${arn}`, async () =>
            iam.attachRolePolicy(target, roleName, arn),
          );
          run.onRollback(`attachment of ${arn}`, () =>
            iam.detachRolePolicy(target, roleName, arn),
          );
        }),
      );
      if (plan.toDetach.length) {
        log(
          `Detaching policies no longer requested: ${plan.toDetach.join(', ')}`,
        );
        await run.all(
          plan.toDetach.map(async arn => {
            await run.run(`detach ${arn}`, `detach-${arn}`, async () =>
              iam.detachRolePolicy(target, roleName, arn),
            );
            run.onRollback(`detachment of ${arn}`, () =>
              iam.attachRolePolicy(target, roleName, arn),
            );
          }),
        );
        const forgotten = plan.toDetach
          .map(attachedPolicyTag)
          .filter(key => plan.existingRole?.tags[key] !== undefined);
        if (forgotten.length)
          await run.run('untag role', 'untag-detached', async () =>
            iam.untagRole(target, roleName, forgotten),
          );
      }
      if (plan.kept.length)
        log(
          `Left in place (attached by someone else, not by this project): ${plan.kept.join(', ')}`,
        );

      log(`Waiting until IAM shows the role (IAM is eventually consistent)`);
      await run.run('wait for role', 'wait-role', async () =>
        iam.waitUntilRoleExists(target, roleName, 60_000),
      );

      const manifest = await this.writeServiceAccount(plan, run, log);
      log(`Done: ${plan.roleArn}`);
      return {
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
        keptPolicyArns: plan.kept,
        ...(manifest ? { manifest } : {}),
      };
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

  private roleNameFor(input: ValidatedInput, cluster: IrsaCluster) {
    return (
      input.roleName ??
      defaultRoleName(cluster.name, input.namespace, input.serviceAccount)
    );
  }

  /** The policy and its default version's document, or InputError when it does not exist. */
  private async readManagedPolicy(target: AwsTarget, arn: string) {
    const policy = await orUndefined(this.service.iam.getPolicy(target, arn));
    if (!policy) return { arn, exists: false as const };
    const document = await this.service.iam.getPolicyVersion(
      target,
      arn,
      policy.defaultVersionId,
    );
    return { arn, exists: true as const, document };
  }

  /**
   * The managed-policy guardrail. Called first without documents (names,
   * accounts, the platform's allow and deny lists: no AWS call needed), then
   * with each policy's default version.
   */
  private checkManagedPolicies(
    cluster: IrsaCluster,
    policies: Array<{
      arn: string;
      exists: boolean;
      document?: PolicyDocument;
    }>,
  ) {
    const missing = policies.flatMap((policy, i) =>
      policy.exists
        ? []
        : [`managedPolicyArns[${i}]: ${policy.arn} does not exist`],
    );
    if (missing.length) throw new InputError(missing.join('; '));
    const reasons = policies.flatMap((policy, i) => {
      const field = `managedPolicyArns[${i}]`;
      return evaluateManagedPolicy({
        arn: policy.arn,
        accountId: cluster.accountId,
        document: policy.document,
        field,
        options: {
          allow: this.settings.managedPolicies.allow,
          deny: this.settings.managedPolicies.deny,
          guardrails: this.settings.guardrails,
        },
      }).map(reason => `${field}: ${reason}`);
    });
    if (reasons.length)
      throw new InputError(
        `${reasons.join('; ')} (irsa.provisioning.managedPolicies decides which managed policies templates may attach)`,
      );
  }

  private async authorizeAdoptions(
    input: ValidatedInput,
    adoptions: Adoption[],
    existingRole: RoleInfo | undefined,
    caller: ProvisionCaller | undefined,
  ) {
    if (!adoptions.length) return;
    const what = adoptions.map(describeAdoption).join('; ');
    if (!input.adopt)
      throw new ConflictError(
        `${what}. Choose another roleName or ServiceAccount, or set adopt: true (needs the permission irsa.role.adopt) to take it over`,
      );
    if (existingRole && !existingRole.path.startsWith(this.settings.rolePath))
      throw new NotAllowedError(
        `role ${existingRole.name} is at path ${existingRole.path}, outside ${this.settings.rolePath} (irsa.provisioning.rolePath); it cannot be adopted`,
      );
    const entities = [
      input.entityRef,
      ...new Set(
        adoptions
          .map(a => a.fromEntityRef)
          .filter(
            (ref): ref is string => Boolean(ref) && ref !== input.entityRef,
          ),
      ),
    ];
    for (const entityRef of entities) {
      if (!caller || !(await caller.mayAdopt(entityRef)))
        throw new NotAllowedError(
          `adopt: ${what}; taking it over needs the permission irsa.role.adopt on ${entityRef}`,
        );
    }
  }

  private async analyze(
    target: AwsTarget,
    documents: ReadonlyArray<
      readonly [string, PolicyDocument, 'IDENTITY_POLICY' | 'RESOURCE_POLICY']
    >,
  ) {
    const findings = await Promise.all(
      documents.map(async ([what, document, policyType]) =>
        (
          await this.service.policyValidation.validatePolicy(target, {
            document,
            policyType,
          })
        )
          .filter(
            f =>
              f.findingType === 'ERROR' || f.findingType === 'SECURITY_WARNING',
          )
          .map(
            f =>
              `${what}: ${f.findingType} ${f.issueCode} at ${f.locations.join(', ') || 'the document'}: ${f.details}`,
          ),
      ),
    );
    const blocking = findings.flat();
    if (blocking.length)
      throw new InputError(
        `IAM Access Analyzer (irsa.provisioning.accessAnalyzer) refused: ${blocking.join('; ')}`,
      );
  }

  private async writeRole(plan: ProvisionPlan, run: ApplyRun, log: Log) {
    const { iam } = this.service;
    const { target, roleName, input } = plan;
    const existing = plan.existingRole;
    if (!existing) {
      log(
        `Creating role ${roleName} trusting ${plan.facts.oidcProviderArn} for system:serviceaccount:${input.namespace}:${input.serviceAccount}`,
      );
      await run.run('create role', 'create-role', async () => {
        await iam.createRole(target, {
          name: roleName,
          path: input.rolePath,
          trustPolicy: plan.trustPolicy,
          description: `IRSA role for ${input.entityRef} (${input.namespace}/${input.serviceAccount} on ${input.cluster})`,
          maxSessionDuration: input.maxSessionDuration,
          permissionsBoundaryArn: input.permissionsBoundaryArn,
          tags: plan.tags,
        });
        return 'created';
      });
      run.onRollback(`role ${plan.roleArn}`, () =>
        iam.deleteRole(target, roleName),
      );
      return;
    }
    log(
      `Role ${roleName} exists${plan.adoptions.length ? ' (adopting it)' : ''}: updating its trust policy and tags to match`,
    );
    await run.all([
      same(existing.trustPolicy, plan.trustPolicy)
        ? undefined
        : run
            .run('update trust policy', 'update-trust', async () =>
              iam.updateTrustPolicy(target, roleName, plan.trustPolicy),
            )
            .then(() =>
              run.onRollback(`trust policy of ${plan.roleArn}`, () =>
                iam.updateTrustPolicy(target, roleName, existing.trustPolicy),
              ),
            ),
      this.convergeTags(run, `role ${roleName}`, existing.tags, plan.tags, {
        tag: tags => iam.tagRole(target, roleName, tags),
        untag: keys => iam.untagRole(target, roleName, keys),
      }),
    ]);
  }

  /** Writes the tags that differ and registers how to restore the old ones. */
  private async convergeTags(
    run: ApplyRun,
    what: string,
    current: Record<string, string>,
    wanted: Record<string, string>,
    write: {
      tag(tags: Record<string, string>): Promise<void>;
      untag(keys: string[]): Promise<void>;
    },
  ) {
    const changed = Object.entries(wanted).filter(([k, v]) => current[k] !== v);
    if (!changed.length) return;
    await run.run(`tag ${what}`, `tag-${what}`, async () =>
      write.tag(Object.fromEntries(changed)),
    );
    run.onRollback(`tags of ${what}`, async () => {
      const added = changed.map(([k]) => k).filter(k => !(k in current));
      const overwritten = changed.filter(([k]) => k in current);
      if (added.length) await write.untag(added);
      if (overwritten.length)
        await write.tag(
          Object.fromEntries(overwritten.map(([k]) => [k, current[k]])),
        );
    });
  }

  private async writePolicy(
    plan: ProvisionPlan,
    policy: PlannedPolicy,
    run: ApplyRun,
    log: Log,
  ) {
    const { iam } = this.service;
    const { target } = plan;
    if (!policy.existing) {
      log(`Creating policy ${policy.name}`);
      await run.run(
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
      run.onRollback(`policy ${policy.arn}`, () =>
        iam.deletePolicy(target, policy.arn),
      );
      return;
    }
    const existing = policy.existing;
    const ownershipTags = Object.fromEntries(
      Object.values(OWNERSHIP).map(key => [key, plan.tags[key]]),
    );
    await this.convergeTags(
      run,
      `policy ${policy.name}`,
      existing.tags,
      ownershipTags,
      {
        tag: tags => iam.tagPolicy(target, policy.arn, tags),
        untag: keys => iam.untagPolicy(target, policy.arn, keys),
      },
    );
    const current = await iam.getPolicyVersion(
      target,
      policy.arn,
      existing.defaultVersionId,
    );
    if (same(current, policy.document)) {
      log(`Policy ${policy.name} is up to date`);
      return;
    }
    log(
      `Updating policy ${policy.name} (new default version; the oldest is pruned at IAM's limit of 5)`,
    );
    await run.run(
      `update policy ${policy.name}`,
      `version-${policy.name}`,
      async () => iam.createPolicyVersion(target, policy.arn, policy.document),
    );
    run.onRollback(`new version of ${policy.arn}`, () =>
      iam.createPolicyVersion(target, policy.arn, current),
    );
  }

  private async writeServiceAccount(
    plan: ProvisionPlan,
    run: ApplyRun,
    log: Log,
  ): Promise<string | undefined> {
    const { input } = plan;
    if (input.serviceAccountMode === 'manifest') return plan.manifest;
    if (input.serviceAccountMode === 'none' || !input.annotateServiceAccount) {
      log(
        'Leaving the ServiceAccount alone (serviceAccountMode none or annotateServiceAccount false)',
      );
      return undefined;
    }
    const { kubernetes } = this.service;
    const ref = `${input.namespace}/${input.serviceAccount}`;
    const annotations = {
      ...plan.serviceAccountAnnotations,
      [OWNERSHIP.entityRef]: input.entityRef,
      [OWNERSHIP.owner]: input.owner,
    };
    const existing = plan.existingServiceAccount;
    if (!existing) {
      log(
        `Creating ServiceAccount ${ref} annotated with ${EKS_ROLE_ARN_ANNOTATION}`,
      );
      await run.run('create ServiceAccount', 'create-sa', async () => {
        await kubernetes.createServiceAccount(input.cluster, {
          namespace: input.namespace,
          name: input.serviceAccount,
          annotations,
          labels: plan.serviceAccountLabels,
        });
      });
      return undefined;
    }
    const stale =
      Object.entries(annotations).some(
        ([k, v]) => existing.annotations[k] !== v,
      ) ||
      Object.entries(plan.serviceAccountLabels).some(
        ([k, v]) => existing.labels[k] !== v,
      );
    if (!stale) {
      log(`ServiceAccount ${ref} is already annotated`);
      return undefined;
    }
    log(
      `Annotating ServiceAccount ${ref} (only ${Object.keys(annotations).join(', ')} and its managed-by label; everything else untouched). Restart its pods to pick up the role.`,
    );
    // Guarded by the version the plan read: a change since then is refused, not overwritten.
    await run.run('annotate ServiceAccount', 'annotate-sa', async () => {
      await kubernetes.patchServiceAccountMetadata(
        input.cluster,
        input.namespace,
        input.serviceAccount,
        { annotations, labels: plan.serviceAccountLabels },
        { expectedResourceVersion: existing.resourceVersion },
      );
    });
    return undefined;
  }
}
