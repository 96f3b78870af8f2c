import { ConflictError, InputError, NotAllowedError } from '@backstage/errors';
import {
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
import type { AccessCheck, AwsTarget, RoleInfo } from '../gateways/types';
import type { IrsaCluster, IrsaService } from '../service/types';
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
import type { ProvisioningSettings } from './settings';
import type { Log, ProvisionCaller, ProvisionPlan } from './provisionTypes';

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

/** The role name an input asks for, or the default for its ServiceAccount. */
export function roleNameFor(input: ValidatedInput, cluster: IrsaCluster) {
  return (
    input.roleName ??
    defaultRoleName(cluster.name, input.namespace, input.serviceAccount)
  );
}

/**
 * Computes a provisioning plan with reads only: validation, the guardrails,
 * the namespace rules, Backstage's own rights, ownership and adoption, the
 * documents, sizes and quotas.
 */
export class ProvisionPlanner {
  constructor(
    private readonly service: IrsaService,
    private readonly settings: ProvisioningSettings,
  ) {}

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
    const roleName = roleNameFor(input, cluster);
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
}
