import {
  iamWildcardToRegExp,
  policySize,
  type PolicyDocument,
} from '@backstage-irsa/plugin-irsa-common';
import type {
  AccountQuotas,
  AssumedIdentity,
  AttachedPolicyRef,
  AwsTarget,
  CloudTrailEventInfo,
  ClusterDescription,
  CreatePolicyInput,
  CreateRoleInput,
  IamGateway,
  LookupEventsInput,
  ManagedPolicyInfo,
  NatGatewayInfo,
  OidcProviderInfo,
  PolicyFinding,
  PolicyVersionInfo,
  RoleInfo,
  RouteTableInfo,
  SimulationInput,
  SimulationResult,
  SubnetInfo,
  VpcEndpointInfo,
  VpcInfo,
} from '../gateways/types';
import {
  sandboxError,
  type SandboxPolicy,
  type SandboxRole,
  SandboxState,
} from './state';
import { trustAllows } from './trust';

// IAM's defaults as GetAccountSummary reports them.
const QUOTAS = {
  assumeRolePolicySizeMax: 2048,
  policySizeQuota: 6144,
  rolePolicySizeQuota: 10240,
  attachedPoliciesPerRoleQuota: 10,
  rolesQuota: 1000,
  policiesQuota: 1500,
};
const MAX_POLICY_VERSIONS = 5;

const clone = <T>(value: T): T => structuredClone(value);

const matchesAction = (pattern: string, value: string) =>
  iamWildcardToRegExp(pattern, { ignoreCase: true }).test(value);

// RFC 1918 ranges, which aws:SourceIp never sees.
const isPrivateIpv4 = (cidr: string) => {
  const [a, b] = cidr.split(/[./]/).map(Number);
  return (
    a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)
  );
};

/** IAM, STS, EKS, EC2 and CloudTrail as the sandbox's in-memory accounts hold them. */
export class SandboxIamGateway implements IamGateway {
  constructor(private readonly state: SandboxState) {}

  // --- OIDC providers

  async listOidcProviders(target: AwsTarget): Promise<string[]> {
    return [...this.state.account(target.accountId).oidcProviders.keys()];
  }

  async getOidcProvider(
    target: AwsTarget,
    arn: string,
  ): Promise<OidcProviderInfo> {
    const provider = this.state
      .account(target.accountId)
      .oidcProviders.get(arn);
    if (!provider) {
      throw sandboxError(
        'not-found',
        'iam:GetOpenIDConnectProvider',
        'NoSuchEntity',
        `OpenIDConnect provider not found for arn ${arn}`,
      );
    }
    return clone(provider);
  }

  // --- Roles

  private role(
    target: AwsTarget,
    roleName: string,
    operation: string,
  ): SandboxRole {
    const role = this.state.account(target.accountId).roles.get(roleName);
    if (!role) {
      throw sandboxError(
        'not-found',
        operation,
        'NoSuchEntity',
        `The role with name ${roleName} cannot be found.`,
      );
    }
    return role;
  }

  async getRole(target: AwsTarget, roleName: string): Promise<RoleInfo> {
    return clone(this.role(target, roleName, 'iam:GetRole').info);
  }

  async createRole(
    target: AwsTarget,
    input: CreateRoleInput,
  ): Promise<RoleInfo> {
    const account = this.state.account(target.accountId);
    const operation = 'iam:CreateRole';
    if (account.roles.has(input.name)) {
      throw sandboxError(
        'already-exists',
        operation,
        'EntityAlreadyExists',
        `Role with name ${input.name} already exists.`,
      );
    }
    if (account.roles.size >= QUOTAS.rolesQuota) {
      throw sandboxError(
        'limit-exceeded',
        operation,
        'LimitExceeded',
        `Cannot exceed quota for RolesPerAccount: ${QUOTAS.rolesQuota}`,
      );
    }
    this.checkSize(
      input.trustPolicy,
      QUOTAS.assumeRolePolicySizeMax,
      operation,
      'ACLSizePerRole',
    );
    const info: RoleInfo = {
      arn: `arn:aws:iam::${target.accountId}:role${input.path}${input.name}`,
      name: input.name,
      path: input.path,
      roleId: this.state.id('AROA'),
      trustPolicy: clone(input.trustPolicy),
      tags: { ...input.tags },
      createDate: this.state.isoNow(),
      maxSessionDuration: input.maxSessionDuration ?? 3600,
      description: input.description,
      permissionsBoundaryArn: input.permissionsBoundaryArn,
    };
    account.roles.set(input.name, {
      info,
      attachedPolicyArns: [],
      inlinePolicies: new Map(),
    });
    return clone(info);
  }

  async updateTrustPolicy(
    target: AwsTarget,
    roleName: string,
    trustPolicy: PolicyDocument,
  ): Promise<void> {
    const role = this.role(target, roleName, 'iam:UpdateAssumeRolePolicy');
    this.checkSize(
      trustPolicy,
      QUOTAS.assumeRolePolicySizeMax,
      'iam:UpdateAssumeRolePolicy',
      'ACLSizePerRole',
    );
    role.info.trustPolicy = clone(trustPolicy);
  }

  async tagRole(
    target: AwsTarget,
    roleName: string,
    tags: Record<string, string>,
  ): Promise<void> {
    const role = this.role(target, roleName, 'iam:TagRole');
    role.info.tags = { ...role.info.tags, ...tags };
  }

  async untagRole(
    target: AwsTarget,
    roleName: string,
    keys: string[],
  ): Promise<void> {
    const role = this.role(target, roleName, 'iam:UntagRole');
    role.info.tags = Object.fromEntries(
      Object.entries(role.info.tags).filter(([k]) => !keys.includes(k)),
    );
  }

  async tagPolicy(
    target: AwsTarget,
    policyArn: string,
    tags: Record<string, string>,
  ): Promise<void> {
    const policy = this.policy(target, policyArn, 'iam:TagPolicy');
    policy.info.tags = { ...policy.info.tags, ...tags };
  }

  async untagPolicy(
    target: AwsTarget,
    policyArn: string,
    keys: string[],
  ): Promise<void> {
    const policy = this.policy(target, policyArn, 'iam:UntagPolicy');
    policy.info.tags = Object.fromEntries(
      Object.entries(policy.info.tags).filter(([k]) => !keys.includes(k)),
    );
  }

  async deleteRole(target: AwsTarget, roleName: string): Promise<void> {
    const account = this.state.account(target.accountId);
    const role = this.role(target, roleName, 'iam:DeleteRole');
    if (role.attachedPolicyArns.length || role.inlinePolicies.size) {
      throw sandboxError(
        'conflict',
        'iam:DeleteRole',
        'DeleteConflict',
        'Cannot delete entity, must detach all policies first.',
      );
    }
    account.roles.delete(roleName);
  }

  async waitUntilRoleExists(
    target: AwsTarget,
    roleName: string,
  ): Promise<void> {
    this.role(target, roleName, 'iam:GetRole');
  }

  // --- Managed policies

  private policy(
    target: AwsTarget,
    arn: string,
    operation: string,
  ): SandboxPolicy {
    const policy =
      this.state.account(target.accountId).policies.get(arn) ??
      this.state.awsManagedPolicies.get(arn);
    if (!policy) {
      throw sandboxError(
        'not-found',
        operation,
        'NoSuchEntity',
        `Policy ${arn} does not exist or is not attachable.`,
      );
    }
    return policy;
  }

  private checkSize(
    document: PolicyDocument,
    max: number,
    operation: string,
    quota: string,
  ) {
    const size = policySize(document);
    if (size > max) {
      throw sandboxError(
        'limit-exceeded',
        operation,
        'LimitExceeded',
        `Cannot exceed quota for ${quota}: ${max} (document has ${size} characters)`,
      );
    }
  }

  async createPolicy(
    target: AwsTarget,
    input: CreatePolicyInput,
  ): Promise<ManagedPolicyInfo> {
    const account = this.state.account(target.accountId);
    const arn = `arn:aws:iam::${target.accountId}:policy${input.path}${input.name}`;
    if (account.policies.has(arn)) {
      throw sandboxError(
        'already-exists',
        'iam:CreatePolicy',
        'EntityAlreadyExists',
        `A policy called ${input.name} already exists. Duplicate names are not allowed.`,
      );
    }
    this.checkSize(
      input.document,
      QUOTAS.policySizeQuota,
      'iam:CreatePolicy',
      'PolicySize',
    );
    const info: ManagedPolicyInfo = {
      arn,
      name: input.name,
      path: input.path,
      defaultVersionId: 'v1',
      awsManaged: false,
      attachmentCount: 0,
      tags: { ...input.tags },
    };
    account.policies.set(arn, {
      info,
      versions: [
        {
          versionId: 'v1',
          document: clone(input.document),
          createDate: this.state.isoNow(),
        },
      ],
      nextVersion: 2,
    });
    return clone(info);
  }

  async getPolicy(
    target: AwsTarget,
    policyArn: string,
  ): Promise<ManagedPolicyInfo> {
    return clone(this.policy(target, policyArn, 'iam:GetPolicy').info);
  }

  async getPolicyVersion(
    target: AwsTarget,
    policyArn: string,
    versionId: string,
  ): Promise<PolicyDocument> {
    const version = this.policy(
      target,
      policyArn,
      'iam:GetPolicyVersion',
    ).versions.find(v => v.versionId === versionId);
    if (!version) {
      throw sandboxError(
        'not-found',
        'iam:GetPolicyVersion',
        'NoSuchEntity',
        `Policy ${policyArn} version ${versionId} does not exist.`,
      );
    }
    return clone(version.document);
  }

  async listPolicyVersions(
    target: AwsTarget,
    policyArn: string,
  ): Promise<PolicyVersionInfo[]> {
    const policy = this.policy(target, policyArn, 'iam:ListPolicyVersions');
    return policy.versions.map(v => ({
      versionId: v.versionId,
      isDefault: v.versionId === policy.info.defaultVersionId,
      createDate: v.createDate,
    }));
  }

  async createPolicyVersion(
    target: AwsTarget,
    policyArn: string,
    document: PolicyDocument,
  ): Promise<string> {
    const policy = this.policy(target, policyArn, 'iam:CreatePolicyVersion');
    this.checkSize(
      document,
      QUOTAS.policySizeQuota,
      'iam:CreatePolicyVersion',
      'PolicySize',
    );
    if (policy.versions.length >= MAX_POLICY_VERSIONS) {
      // What the real gateway does before CreatePolicyVersion: prune the oldest non-default.
      const oldest = policy.versions.find(
        v => v.versionId !== policy.info.defaultVersionId,
      )!;
      policy.versions = policy.versions.filter(v => v !== oldest);
    }
    const versionId = `v${policy.nextVersion++}`;
    policy.versions.push({
      versionId,
      document: clone(document),
      createDate: this.state.isoNow(),
    });
    policy.info.defaultVersionId = versionId;
    return versionId;
  }

  async deletePolicy(target: AwsTarget, policyArn: string): Promise<void> {
    const policy = this.policy(target, policyArn, 'iam:DeletePolicy');
    if (policy.info.attachmentCount > 0) {
      throw sandboxError(
        'conflict',
        'iam:DeletePolicy',
        'DeleteConflict',
        'Cannot delete a policy attached to entities.',
      );
    }
    this.state.account(target.accountId).policies.delete(policyArn);
  }

  async listAttachedRolePolicies(
    target: AwsTarget,
    roleName: string,
  ): Promise<AttachedPolicyRef[]> {
    const role = this.role(target, roleName, 'iam:ListAttachedRolePolicies');
    return role.attachedPolicyArns.map(arn => ({
      arn,
      name: arn.split('/').pop()!,
    }));
  }

  async attachRolePolicy(
    target: AwsTarget,
    roleName: string,
    policyArn: string,
  ): Promise<void> {
    const role = this.role(target, roleName, 'iam:AttachRolePolicy');
    const policy = this.policy(target, policyArn, 'iam:AttachRolePolicy');
    if (role.attachedPolicyArns.includes(policyArn)) return; // idempotent, as in IAM
    if (role.attachedPolicyArns.length >= QUOTAS.attachedPoliciesPerRoleQuota) {
      throw sandboxError(
        'limit-exceeded',
        'iam:AttachRolePolicy',
        'LimitExceeded',
        `Cannot exceed quota for PoliciesPerRole: ${QUOTAS.attachedPoliciesPerRoleQuota}`,
      );
    }
    role.attachedPolicyArns.push(policyArn);
    policy.info.attachmentCount += 1;
  }

  async detachRolePolicy(
    target: AwsTarget,
    roleName: string,
    policyArn: string,
  ): Promise<void> {
    const role = this.role(target, roleName, 'iam:DetachRolePolicy');
    if (!role.attachedPolicyArns.includes(policyArn)) {
      throw sandboxError(
        'not-found',
        'iam:DetachRolePolicy',
        'NoSuchEntity',
        `Policy ${policyArn} was not found.`,
      );
    }
    role.attachedPolicyArns = role.attachedPolicyArns.filter(
      a => a !== policyArn,
    );
    const policy =
      this.state.account(target.accountId).policies.get(policyArn) ??
      this.state.awsManagedPolicies.get(policyArn);
    if (policy) policy.info.attachmentCount -= 1;
  }

  // --- Inline policies

  async listRolePolicies(
    target: AwsTarget,
    roleName: string,
  ): Promise<string[]> {
    return [
      ...this.role(
        target,
        roleName,
        'iam:ListRolePolicies',
      ).inlinePolicies.keys(),
    ];
  }

  async getRolePolicy(
    target: AwsTarget,
    roleName: string,
    policyName: string,
  ): Promise<PolicyDocument> {
    const document = this.role(
      target,
      roleName,
      'iam:GetRolePolicy',
    ).inlinePolicies.get(policyName);
    if (!document) {
      throw sandboxError(
        'not-found',
        'iam:GetRolePolicy',
        'NoSuchEntity',
        `The role policy with name ${policyName} cannot be found.`,
      );
    }
    return clone(document);
  }

  async putRolePolicy(
    target: AwsTarget,
    roleName: string,
    policyName: string,
    document: PolicyDocument,
  ): Promise<void> {
    const role = this.role(target, roleName, 'iam:PutRolePolicy');
    this.checkSize(
      document,
      QUOTAS.rolePolicySizeQuota,
      'iam:PutRolePolicy',
      'RolePolicySize',
    );
    role.inlinePolicies.set(policyName, clone(document));
  }

  async deleteRolePolicy(
    target: AwsTarget,
    roleName: string,
    policyName: string,
  ): Promise<void> {
    const role = this.role(target, roleName, 'iam:DeleteRolePolicy');
    if (!role.inlinePolicies.delete(policyName)) {
      throw sandboxError(
        'not-found',
        'iam:DeleteRolePolicy',
        'NoSuchEntity',
        `The role policy with name ${policyName} cannot be found.`,
      );
    }
  }

  // --- Account and analysis

  async getAccountQuotas(target: AwsTarget): Promise<AccountQuotas> {
    const account = this.state.account(target.accountId);
    return {
      ...QUOTAS,
      roles: account.roles.size,
      policies: account.policies.size,
    };
  }

  async simulatePrincipalPolicy(
    target: AwsTarget,
    input: SimulationInput,
  ): Promise<SimulationResult[]> {
    const roleName = input.policySourceArn.split('/').pop()!;
    const role = this.role(target, roleName, 'iam:SimulatePrincipalPolicy');
    const documents = [
      ...role.attachedPolicyArns.map(arn => {
        const policy = this.policy(target, arn, 'iam:SimulatePrincipalPolicy');
        return policy.versions.find(
          v => v.versionId === policy.info.defaultVersionId,
        )!.document;
      }),
      ...role.inlinePolicies.values(),
    ];
    const statements = documents
      .flatMap(d => d.Statement)
      .filter(s => !s.Condition);
    return input.actionNames.flatMap(actionName =>
      (input.resourceArns ?? ['*']).map(resourceArn => {
        const matching = statements.filter(
          s =>
            [s.Action ?? []].flat().some(a => matchesAction(a, actionName)) &&
            [s.Resource ?? []].flat().some(r => matchesAction(r, resourceArn)),
        );
        const deny = matching.find(s => s.Effect === 'Deny');
        const allow = matching.find(s => s.Effect === 'Allow');
        let decision: SimulationResult['decision'] = 'implicitDeny';
        if (deny) decision = 'explicitDeny';
        else if (allow) decision = 'allowed';
        return {
          actionName,
          resourceArn,
          decision,
          matchedStatementIds: [deny ?? allow]
            .filter(Boolean)
            .map(s => s!.Sid ?? ''),
        };
      }),
    );
  }

  // --- STS

  async assumeRoleWithWebIdentity(
    target: AwsTarget,
    input: { roleArn: string; webIdentityToken: string; sessionName: string },
  ): Promise<AssumedIdentity> {
    const operation = 'sts:AssumeRoleWithWebIdentity';
    const claims = this.state.tokens.verify(
      input.webIdentityToken,
      this.state.now(),
    );
    if ('invalid' in claims) {
      const expired = claims.invalid.includes('expired');
      throw sandboxError(
        'invalid-token',
        operation,
        expired ? 'ExpiredTokenException' : 'InvalidIdentityToken',
        claims.invalid,
      );
    }
    const accountId = input.roleArn.split(':')[4];
    const issuer = claims.iss.replace(/^https:\/\//, '');
    const providerArn = `arn:aws:iam::${accountId}:oidc-provider/${issuer}`;
    const provider = this.state
      .account(accountId)
      .oidcProviders.get(providerArn);
    if (!provider) {
      throw sandboxError(
        'invalid-token',
        operation,
        'InvalidIdentityToken',
        `No OpenIDConnect provider found in your account for ${claims.iss}`,
      );
    }
    if (!claims.aud.some(a => provider.clientIds.includes(a))) {
      throw sandboxError(
        'invalid-token',
        operation,
        'InvalidIdentityToken',
        'Incorrect token audience',
      );
    }
    const roleName = input.roleArn.split('/').pop()!;
    const role = this.state.account(accountId).roles.get(roleName);
    const denied = () =>
      sandboxError(
        'access-denied',
        operation,
        'AccessDenied',
        'Not authorized to perform sts:AssumeRoleWithWebIdentity',
      );
    if (!role || role.info.arn !== input.roleArn) throw denied();
    if (
      !trustAllows(role.info.trustPolicy, {
        providerArn,
        issuer,
        sub: claims.sub,
        aud: claims.aud,
      })
    ) {
      throw denied();
    }
    const now = this.state.now();
    role.info.roleLastUsed = {
      lastUsedDate: now.toISOString(),
      region: target.region,
    };
    return {
      assumedRoleArn: `arn:aws:sts::${accountId}:assumed-role/${roleName}/${input.sessionName}`,
      assumedRoleId: `${role.info.roleId}:${input.sessionName}`,
      subjectFromWebIdentityToken: claims.sub,
      audience: claims.aud[0],
      provider: providerArn,
      expiration: new Date(now.getTime() + 3600_000).toISOString(),
    };
  }

  // --- EKS and EC2

  private cluster(target: AwsTarget, name: string) {
    const cluster = [...this.state.clusters.values()].find(
      c =>
        c.name === name &&
        c.accountId === target.accountId &&
        c.region === target.region,
    );
    if (!cluster) {
      throw sandboxError(
        'not-found',
        'eks:DescribeCluster',
        'ResourceNotFoundException',
        `No cluster found for name: ${name}.`,
      );
    }
    return cluster;
  }

  private clustersIn(target: AwsTarget) {
    return [...this.state.clusters.values()].filter(
      c => c.accountId === target.accountId && c.region === target.region,
    );
  }

  async describeCluster(
    target: AwsTarget,
    clusterName: string,
  ): Promise<ClusterDescription> {
    const cluster = this.cluster(target, clusterName);
    return {
      name: cluster.name,
      arn: cluster.arn,
      status: 'ACTIVE',
      endpoint: `https://${cluster.name}.sandbox.invalid`,
      issuerUrl: `https://${cluster.issuer}`,
      vpcId: cluster.vpc.id,
      subnetIds: [...cluster.clusterSubnetIds],
    };
  }

  async describeSubnets(
    target: AwsTarget,
    filter: { subnetIds?: string[]; vpcId?: string; tagKey?: string },
  ): Promise<SubnetInfo[]> {
    return clone(
      this.clustersIn(target)
        .flatMap(c => c.subnets)
        .filter(s => !filter.subnetIds || filter.subnetIds.includes(s.id))
        .filter(s => !filter.vpcId || s.vpcId === filter.vpcId)
        .filter(s => !filter.tagKey || filter.tagKey in s.tags),
    );
  }

  async describeVpcs(target: AwsTarget, vpcIds: string[]): Promise<VpcInfo[]> {
    return clone(
      this.clustersIn(target)
        .map(c => c.vpc)
        .filter(v => vpcIds.includes(v.id)),
    );
  }

  async describeNatGateways(
    target: AwsTarget,
    filter: { vpcId: string },
  ): Promise<NatGatewayInfo[]> {
    return clone(
      this.clustersIn(target)
        .flatMap(c => c.natGateways)
        .filter(n => n.vpcId === filter.vpcId),
    );
  }

  async describeRouteTables(
    target: AwsTarget,
    filter: { vpcId: string },
  ): Promise<RouteTableInfo[]> {
    return clone(
      this.clustersIn(target)
        .flatMap(c => c.routeTables)
        .filter(r => r.vpcId === filter.vpcId),
    );
  }

  async describeVpcEndpoints(
    target: AwsTarget,
    filter: { vpcId: string },
  ): Promise<VpcEndpointInfo[]> {
    return clone(
      this.clustersIn(target)
        .flatMap(c => c.vpcEndpoints)
        .filter(e => e.vpcId === filter.vpcId),
    );
  }

  // --- CloudTrail

  async lookupEvents(
    target: AwsTarget,
    input: LookupEventsInput,
  ): Promise<CloudTrailEventInfo[]> {
    const { key, value } = input.attribute;
    const end = input.endTime ?? this.state.now();
    return this.state
      .account(target.accountId)
      .events.filter(e => e.region === target.region)
      .filter(e => {
        if (key === 'Username') return e.username === value;
        if (key === 'EventName') return e.eventName === value;
        return e.resourceNames.includes(value);
      })
      .filter(
        e =>
          e.eventTime >= input.startTime.toISOString() &&
          e.eventTime <= end.toISOString(),
      )
      .slice(0, input.maxEvents)
      .map(({ resourceNames: _r, region: _g, ...event }) => clone(event));
  }

  // --- IAM Access Analyzer

  /**
   * A small, deterministic subset of ValidatePolicy so the demo can show
   * findings: SECURITY_WARNING for iam:PassRole on a wildcard resource, ERROR
   * for a private range under aws:SourceIp (which only sees public addresses).
   */
  async validatePolicy(
    _target: AwsTarget,
    input: Parameters<IamGateway['validatePolicy']>[1],
  ): Promise<PolicyFinding[]> {
    const findings: PolicyFinding[] = [];
    const listOf = <T>(value: T | T[] | undefined): T[] =>
      value === undefined ? [] : ([] as T[]).concat(value);
    const at = (base: string, value: unknown, index: number) =>
      Array.isArray(value) ? `${base}[${index}]` : base;
    listOf(input.document.Statement).forEach((statement, i) => {
      const path = `Statement[${i}]`;
      const passesRoles =
        statement.Effect === 'Allow' &&
        listOf(statement.Action).some(a => matchesAction(a, 'iam:PassRole'));
      const wildcards = listOf(statement.Resource)
        .map((resource, j) => ({ resource, j }))
        .filter(({ resource }) => resource.includes('*'));
      if (passesRoles && wildcards.length) {
        findings.push({
          findingType: 'SECURITY_WARNING',
          issueCode: 'PASS_ROLE_WITH_STAR_IN_RESOURCE',
          details:
            'iam:PassRole with a wildcard resource lets the principal pass many roles; name the role ARNs or add an iam:PassedToService condition.',
          locations: wildcards.map(({ j }) =>
            at(`${path}.Resource`, statement.Resource, j),
          ),
        });
      }
      for (const [operator, keys] of Object.entries(
        statement.Condition ?? {},
      )) {
        if (!/IpAddress/.test(operator)) continue;
        const values = keys['aws:SourceIp'];
        const privateAt = listOf(values)
          .map((value, k) => ({ value: String(value), k }))
          .filter(({ value }) => isPrivateIpv4(value));
        if (privateAt.length) {
          findings.push({
            findingType: 'ERROR',
            issueCode: 'PRIVATE_IP_ADDRESS',
            details: `aws:SourceIp only holds public addresses: ${privateAt.map(p => p.value).join(', ')} never match.`,
            locations: privateAt.map(({ k }) =>
              at(`${path}.Condition.${operator}.aws:SourceIp`, values, k),
            ),
          });
        }
      }
    });
    return findings;
  }
}
