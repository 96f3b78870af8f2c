import { ConflictError, InputError, NotAllowedError } from '@backstage/errors';
import {
  EKS_AUDIENCE_ANNOTATION,
  EKS_ROLE_ARN_ANNOTATION,
  buildAllowlistPolicy,
  buildTrustPolicy,
  defaultRoleName,
  findAdminEquivalentGrants,
  policySize,
  roleArn as buildRoleArn,
} from '@backstage-irsa/plugin-irsa-common';
import { stringify as toYaml } from 'yaml';
import type { AccessCheck, RoleInfo } from '../gateways/types';
import type { IrsaCluster, IrsaService } from '../service/types';
import {
  checkNamespace,
  resolveMechanism,
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
import {
  agentWarning,
  allowlistForChain,
  checkMechanismSwitch,
  planAssociation,
  readPodIdentity,
  withTargetRoleGrant,
} from './planPodIdentity';
import { podIdentityTrustPolicy } from './podIdentityAssociation';
import {
  analyzeDocuments,
  checkManagedPolicies,
  orUndefined,
  readManagedPolicy,
} from './planGuardrails';
import type { ProvisioningSettings } from './settings';
import { checkTargetRoleAllowlist } from './targetRole';
import type { Log, ProvisionCaller, ProvisionPlan } from './provisionTypes';

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
    const mechanism = resolveMechanism(input, cluster);
    const permissions =
      input.targetRoleArn !== undefined
        ? withTargetRoleGrant(input.policy, input.targetRoleArn)
        : input.policy;
    checkManagedPolicies(
      settings,
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
      podIdentity,
    ] = await Promise.all([
      service.facts.get(cluster.name),
      service.iam.getAccountQuotas(target),
      orUndefined(service.iam.getRole(target, roleName)),
      permissions
        ? orUndefined(service.iam.getPolicy(target, policyArn(roleName)))
        : undefined,
      orUndefined(service.iam.getPolicy(target, policyArn(allowlistName))),
      // An association binds the ServiceAccount whatever this run writes of
      // it, so Pod Identity always reads it for its owner and annotations.
      writesServiceAccount || mechanism === 'pod-identity'
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
        input.managedPolicyArns.map(arn =>
          readManagedPolicy(service, target, arn),
        ),
      ),
      // Read at once rather than after GetRole: one round trip less on a re-run.
      orUndefined(service.iam.listAttachedRolePolicies(target, roleName)),
      mechanism === 'pod-identity'
        ? readPodIdentity(service, cluster, input)
        : undefined,
    ]);

    checkManagedPolicies(settings, cluster, managedDocuments);
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
    if (mechanism === 'irsa' && !facts.oidcProviderExists) {
      throw new InputError(
        `cluster: ${cluster.name} has no IAM OIDC provider for ${facts.issuer}; create it first with: eksctl utils associate-iam-oidc-provider --cluster ${cluster.eksClusterName} --region ${cluster.region} --approve`,
      );
    }

    checkMechanismSwitch({ mechanism, existingRole, existingServiceAccount });
    if (podIdentity) {
      const warning = agentWarning(cluster, podIdentity.agentStatus);
      if (warning) log(warning);
      if (podIdentity.targetRole)
        checkTargetRoleAllowlist(podIdentity.targetRole, facts.natPublicIps);
    }
    const roleArn = buildRoleArn({
      partition: cluster.partition,
      accountId: cluster.accountId,
      roleName,
      path: input.rolePath,
    });
    const tags: Record<string, string> = {
      ...input.tags,
      [OWNERSHIP.managedBy]: MANAGED_BY,
      [OWNERSHIP.cluster]: cluster.name,
      [OWNERSHIP.serviceAccount]: `${input.namespace}/${input.serviceAccount}`,
      [OWNERSHIP.entityRef]: input.entityRef,
      [OWNERSHIP.owner]: input.owner,
    };
    const planned =
      podIdentity &&
      planAssociation({
        cluster,
        input,
        existing: podIdentity.association,
        roleArn,
        tags,
      });

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
      planned?.adoption,
    ].filter((a): a is Adoption => Boolean(a));
    await this.authorizeAdoptions(
      input,
      adoptions,
      existingRole,
      options.caller,
    );
    // Whatever exists and needs no adopting is this entity's already.
    const existing = [
      existingRole,
      existingPermissions,
      existingAllowlist,
      existingServiceAccount,
      podIdentity?.association,
    ].filter(Boolean).length;
    await this.authorizeUpdate(
      input,
      existing > adoptions.length,
      options.caller,
    );

    if (existingRole && existingRole.path !== input.rolePath)
      throw new InputError(
        `rolePath: role ${roleName} exists at path ${existingRole.path}, and IAM cannot move a role; run with rolePath ${existingRole.path}`,
      );
    const trustPolicy =
      mechanism === 'pod-identity'
        ? podIdentityTrustPolicy(cluster, input.namespace, input.serviceAccount)
        : buildTrustPolicy({
            oidcProviderArn: facts.oidcProviderArn,
            issuer: facts.issuer,
            namespace: input.namespace,
            serviceAccount: input.serviceAccount,
            audience: input.audience,
          }).document;
    const cidrAllowlist = buildAllowlistPolicy({
      publicCidrs: [
        ...new Set([
          ...facts.natPublicIps.map(ip => `${ip}/32`),
          ...input.ipAllowList,
        ]),
      ],
      vpcIds: facts.vpcId ? [facts.vpcId] : [],
      minimumPrefix: settings.allowlist,
    }).document;
    const allowlist = input.targetRoleArn
      ? allowlistForChain(cidrAllowlist, input.targetRoleArn)
      : cidrAllowlist;
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
    if (permissions)
      sizes.push([
        'policy',
        'policy',
        policySize(permissions),
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
      await analyzeDocuments(service, target, [
        ['trust policy', trustPolicy, 'RESOURCE_POLICY'],
        ['allowlist policy', allowlist, 'IDENTITY_POLICY'],
        ...(permissions
          ? [['policy', permissions, 'IDENTITY_POLICY'] as const]
          : []),
      ]);
    }

    const attachedPolicyArns = (attached ?? []).map(p => p.arn);
    const ours = [
      ...(permissions ? [policyArn(roleName)] : []),
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

    const roleTags: Record<string, string> = {
      ...tags,
      ...Object.fromEntries(
        input.managedPolicyArns.map(arn => [attachedPolicyTag(arn), arn]),
      ),
    };
    // Pod Identity binds through the association: no role annotation.
    const serviceAccountAnnotations: Record<string, string> =
      mechanism === 'irsa'
        ? {
            [EKS_ROLE_ARN_ANNOTATION]: roleArn,
            ...(input.audience
              ? { [EKS_AUDIENCE_ANNOTATION]: input.audience }
              : {}),
          }
        : {};
    const serviceAccountLabels = { [OWNERSHIP.managedBy]: MANAGED_BY };
    const ownershipAnnotations = {
      [OWNERSHIP.entityRef]: input.entityRef,
      [OWNERSHIP.owner]: input.owner,
    };
    return {
      input,
      mechanism,
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
      permissionsPolicy: permissions
        ? {
            name: roleName,
            arn: policyArn(roleName),
            document: permissions,
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
      ...(planned ? { association: planned.association } : {}),
    };
  }

  /**
   * The template's entityRef is whatever its user typed: changing what an
   * entity already has takes `irsa.role.update` on it, not only
   * `irsa.role.create`. Without a caller (a library call, not an action)
   * nothing is asked.
   */
  private async authorizeUpdate(
    input: ValidatedInput,
    changesExisting: boolean,
    caller: ProvisionCaller | undefined,
  ) {
    if (!changesExisting || !caller) return;
    if (!(await caller.mayUpdate(input.entityRef)))
      throw new NotAllowedError(
        `entityRef: ${input.entityRef} already has IRSA resources (role, policies, ServiceAccount or association); changing them needs the permission irsa.role.update on it`,
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
}
