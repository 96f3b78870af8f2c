import {
  AccessAnalyzerClient,
  ValidatePolicyCommand,
  type PathElement,
  type ValidatePolicyCommandOutput,
  type ValidatePolicyFinding,
} from '@aws-sdk/client-accessanalyzer';
import {
  CloudTrailClient,
  LookupEventsCommand,
} from '@aws-sdk/client-cloudtrail';
import {
  DescribeNatGatewaysCommand,
  DescribeRouteTablesCommand,
  DescribeSubnetsCommand,
  DescribeVpcEndpointsCommand,
  DescribeVpcsCommand,
  EC2Client,
  type Filter,
  type Tag,
} from '@aws-sdk/client-ec2';
import { DescribeClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import {
  AttachRolePolicyCommand,
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  CreateRoleCommand,
  DeletePolicyCommand,
  DeletePolicyVersionCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  DetachRolePolicyCommand,
  GetAccountSummaryCommand,
  GetOpenIDConnectProviderCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  ListOpenIDConnectProvidersCommand,
  ListPolicyVersionsCommand,
  ListRolePoliciesCommand,
  PutRolePolicyCommand,
  SimulatePrincipalPolicyCommand,
  TagPolicyCommand,
  TagRoleCommand,
  UntagPolicyCommand,
  UntagRoleCommand,
  UpdateAssumeRolePolicyCommand,
  type Role,
} from '@aws-sdk/client-iam';
import {
  AssumeRoleWithWebIdentityCommand,
  STSClient,
} from '@aws-sdk/client-sts';
import type { PolicyDocument } from '@backstage-irsa/plugin-irsa-common';
import type { AwsCredentialsManager } from '@backstage/integration-aws-node';
import { isGatewayError } from '../errors';
import type {
  AttachedPolicyRef,
  AwsTarget,
  CloudTrailEventInfo,
  IamGateway,
  ManagedPolicyInfo,
  NatGatewayInfo,
  PolicyFinding,
  PolicyVersionInfo,
  RoleInfo,
  RouteTableInfo,
  SubnetInfo,
  VpcEndpointInfo,
  VpcInfo,
} from '../types';
import { toGatewayError } from './errors';
import { RequestBudget } from './RequestBudget';

type Family = 'iam' | 'sts' | 'ec2' | 'eks' | 'cloudtrail' | 'accessanalyzer';
type Client =
  | IAMClient
  | STSClient
  | EC2Client
  | EKSClient
  | CloudTrailClient
  | AccessAnalyzerClient;

/** How the gateway reaches AWS (from `irsa.aws` config; all optional). */
export interface AwsGatewayOptions {
  credentialsManager: AwsCredentialsManager;
  userAgent?: string;
  endpoints?: Partial<Record<Family, string>>;
  /** Requests per second per account and region; CloudTrail is fixed at 2. */
  requestsPerSecond?: Partial<Record<Exclude<Family, 'cloudtrail'>, number>>;
  timeoutMs?: number;
  maxAttempts?: number;
  budget?: RequestBudget;
}

const DEFAULT_RPS: Record<Family, number> = {
  iam: 10,
  sts: 20,
  ec2: 20,
  eks: 10,
  cloudtrail: 2,
  // ValidatePolicy is a control-plane call with a low default quota.
  accessanalyzer: 5,
};
const MAX_POLICY_VERSIONS = 5;
const MAX_VALIDATE_POLICY_PAGES = 50;

// IAM returns policy documents URL-encoded; IAM-compatible endpoints (moto,
// LocalStack) return them as plain JSON, which may hold a literal `%`. An
// encoded document never starts with `{` (IAM encodes it as %7B).
const decodePolicy = (text: string | undefined): PolicyDocument => {
  const raw = (text ?? '{}').trimStart();
  return JSON.parse(
    raw.startsWith('{') ? raw : decodeURIComponent(raw),
  ) as PolicyDocument;
};
const tagsOf = (
  tags: Tag[] | Array<{ Key?: string; Value?: string }> | undefined,
) => Object.fromEntries((tags ?? []).map(t => [t.Key ?? '', t.Value ?? '']));
const toTags = (tags: Record<string, string>) =>
  Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
const iso = (date: Date | undefined) => (date ? date.toISOString() : '');

function roleInfo(role: Role): RoleInfo {
  return {
    arn: role.Arn ?? '',
    name: role.RoleName ?? '',
    path: role.Path ?? '/',
    roleId: role.RoleId ?? '',
    trustPolicy: decodePolicy(role.AssumeRolePolicyDocument),
    tags: tagsOf(role.Tags),
    createDate: iso(role.CreateDate),
    maxSessionDuration: role.MaxSessionDuration ?? 3600,
    ...(role.Description ? { description: role.Description } : {}),
    ...(role.PermissionsBoundary?.PermissionsBoundaryArn
      ? {
          permissionsBoundaryArn:
            role.PermissionsBoundary.PermissionsBoundaryArn,
        }
      : {}),
    ...(role.RoleLastUsed?.LastUsedDate || role.RoleLastUsed?.Region
      ? {
          roleLastUsed: {
            lastUsedDate:
              role.RoleLastUsed?.LastUsedDate &&
              iso(role.RoleLastUsed.LastUsedDate),
            region: role.RoleLastUsed?.Region,
          },
        }
      : {}),
  };
}

/**
 * The IamGateway on AWS SDK v3: credentials per account from Backstage's
 * AWS integration, clients cached per account and region, a shared request
 * budget, SDK retries with backoff, a timeout per call, typed errors.
 */
export class AwsIamGateway implements IamGateway {
  private readonly clients = new Map<string, Promise<Client>>();
  private readonly budget: RequestBudget;

  constructor(private readonly options: AwsGatewayOptions) {
    this.budget = options.budget ?? new RequestBudget();
  }

  private client<C extends Client>(
    family: Family,
    target: AwsTarget,
  ): Promise<C> {
    const key = `${family}/${target.accountId}/${target.region}`;
    let client = this.clients.get(key);
    if (!client) {
      client = (async () => {
        const base = {
          region: target.region,
          customUserAgent: this.options.userAgent ?? 'backstage-irsa',
          maxAttempts: this.options.maxAttempts ?? 3,
          ...(this.options.endpoints?.[family]
            ? { endpoint: this.options.endpoints[family] }
            : {}),
        };
        // AssumeRoleWithWebIdentity is unsigned: the web identity token is the only credential.
        if (family === 'sts') return new STSClient(base);
        const { sdkCredentialProvider } =
          await this.options.credentialsManager.getCredentialProvider({
            accountId: target.accountId,
          });
        const config = { ...base, credentials: sdkCredentialProvider };
        switch (family) {
          case 'iam':
            return new IAMClient(config);
          case 'ec2':
            return new EC2Client(config);
          case 'eks':
            return new EKSClient(config);
          case 'accessanalyzer':
            return new AccessAnalyzerClient(config);
          default:
            return new CloudTrailClient(config);
        }
      })();
      client.catch(() => this.clients.delete(key));
      this.clients.set(key, client);
    }
    return client as Promise<C>;
  }

  /** One call: budget, timeout, typed errors. */
  private async send<T>(
    family: Family,
    target: AwsTarget,
    operation: string,
    command: any,
  ): Promise<T> {
    const rps =
      family === 'cloudtrail'
        ? DEFAULT_RPS.cloudtrail
        : (this.options.requestsPerSecond?.[family] ?? DEFAULT_RPS[family]);
    try {
      const client = await this.client<any>(family, target);
      await this.budget.acquire(
        `${family}/${target.accountId}/${target.region}`,
        rps,
      );
      return (await client.send(command, {
        abortSignal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
      })) as T;
    } catch (error) {
      throw toGatewayError(error, operation);
    }
  }

  private iam<T = any>(target: AwsTarget, operation: string, command: any) {
    return this.send<T>('iam', target, `iam:${operation}`, command);
  }

  // --- OIDC providers

  async listOidcProviders(target: AwsTarget) {
    const out = await this.iam(
      target,
      'ListOpenIDConnectProviders',
      new ListOpenIDConnectProvidersCommand({}),
    );
    return (out.OpenIDConnectProviderList ?? []).map(
      (p: { Arn?: string }) => p.Arn ?? '',
    );
  }

  async getOidcProvider(target: AwsTarget, arn: string) {
    const out = await this.iam(
      target,
      'GetOpenIDConnectProvider',
      new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn }),
    );
    return {
      arn,
      url: out.Url ?? '',
      clientIds: out.ClientIDList ?? [],
      thumbprints: out.ThumbprintList ?? [],
    };
  }

  // --- Roles

  async getRole(target: AwsTarget, roleName: string) {
    const out = await this.iam(
      target,
      'GetRole',
      new GetRoleCommand({ RoleName: roleName }),
    );
    return roleInfo(out.Role);
  }

  async createRole(
    target: AwsTarget,
    input: Parameters<IamGateway['createRole']>[1],
  ) {
    const out = await this.iam(
      target,
      'CreateRole',
      new CreateRoleCommand({
        RoleName: input.name,
        Path: input.path,
        AssumeRolePolicyDocument: JSON.stringify(input.trustPolicy),
        Description: input.description,
        MaxSessionDuration: input.maxSessionDuration,
        PermissionsBoundary: input.permissionsBoundaryArn,
        Tags: toTags(input.tags),
      }),
    );
    return roleInfo(out.Role);
  }

  async updateTrustPolicy(
    target: AwsTarget,
    roleName: string,
    trustPolicy: PolicyDocument,
  ) {
    await this.iam(
      target,
      'UpdateAssumeRolePolicy',
      new UpdateAssumeRolePolicyCommand({
        RoleName: roleName,
        PolicyDocument: JSON.stringify(trustPolicy),
      }),
    );
  }

  async tagRole(
    target: AwsTarget,
    roleName: string,
    tags: Record<string, string>,
  ) {
    await this.iam(
      target,
      'TagRole',
      new TagRoleCommand({ RoleName: roleName, Tags: toTags(tags) }),
    );
  }

  async untagRole(target: AwsTarget, roleName: string, keys: string[]) {
    await this.iam(
      target,
      'UntagRole',
      new UntagRoleCommand({ RoleName: roleName, TagKeys: keys }),
    );
  }

  async tagPolicy(
    target: AwsTarget,
    policyArn: string,
    tags: Record<string, string>,
  ) {
    await this.iam(
      target,
      'TagPolicy',
      new TagPolicyCommand({ PolicyArn: policyArn, Tags: toTags(tags) }),
    );
  }

  async untagPolicy(target: AwsTarget, policyArn: string, keys: string[]) {
    await this.iam(
      target,
      'UntagPolicy',
      new UntagPolicyCommand({ PolicyArn: policyArn, TagKeys: keys }),
    );
  }

  async deleteRole(target: AwsTarget, roleName: string) {
    await this.iam(
      target,
      'DeleteRole',
      new DeleteRoleCommand({ RoleName: roleName }),
    );
  }

  async waitUntilRoleExists(
    target: AwsTarget,
    roleName: string,
    timeoutMs: number,
  ) {
    const deadline = Date.now() + timeoutMs;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.getRole(target, roleName);
        return;
      } catch (error) {
        if (!isGatewayError(error, 'not-found') || Date.now() >= deadline)
          throw error;
        await new Promise(resolve =>
          setTimeout(resolve, Math.min(2000, 200 * attempt)),
        );
      }
    }
  }

  // --- Managed policies

  async createPolicy(
    target: AwsTarget,
    input: Parameters<IamGateway['createPolicy']>[1],
  ): Promise<ManagedPolicyInfo> {
    const out = await this.iam(
      target,
      'CreatePolicy',
      new CreatePolicyCommand({
        PolicyName: input.name,
        Path: input.path,
        PolicyDocument: JSON.stringify(input.document),
        Description: input.description,
        Tags: toTags(input.tags),
      }),
    );
    return this.policyInfo(out.Policy);
  }

  private policyInfo(policy: any): ManagedPolicyInfo {
    const arn: string = policy?.Arn ?? '';
    return {
      arn,
      name: policy?.PolicyName ?? '',
      path: policy?.Path ?? '/',
      defaultVersionId: policy?.DefaultVersionId ?? 'v1',
      awsManaged: /^arn:[^:]+:iam::aws:policy\//.test(arn),
      attachmentCount: policy?.AttachmentCount ?? 0,
      tags: tagsOf(policy?.Tags),
    };
  }

  async getPolicy(target: AwsTarget, policyArn: string) {
    const out = await this.iam(
      target,
      'GetPolicy',
      new GetPolicyCommand({ PolicyArn: policyArn }),
    );
    return this.policyInfo(out.Policy);
  }

  async getPolicyVersion(
    target: AwsTarget,
    policyArn: string,
    versionId: string,
  ) {
    const out = await this.iam(
      target,
      'GetPolicyVersion',
      new GetPolicyVersionCommand({
        PolicyArn: policyArn,
        VersionId: versionId,
      }),
    );
    return decodePolicy(out.PolicyVersion?.Document);
  }

  async listPolicyVersions(
    target: AwsTarget,
    policyArn: string,
  ): Promise<PolicyVersionInfo[]> {
    const out = await this.iam(
      target,
      'ListPolicyVersions',
      new ListPolicyVersionsCommand({ PolicyArn: policyArn }),
    );
    return (out.Versions ?? []).map((v: any) => ({
      versionId: v.VersionId ?? '',
      isDefault: Boolean(v.IsDefaultVersion),
      createDate: iso(v.CreateDate),
    }));
  }

  async createPolicyVersion(
    target: AwsTarget,
    policyArn: string,
    document: PolicyDocument,
  ) {
    const versions = await this.listPolicyVersions(target, policyArn);
    if (versions.length >= MAX_POLICY_VERSIONS) {
      // IAM keeps five versions; make room by deleting the oldest non-default one.
      const oldest = versions
        .filter(v => !v.isDefault)
        .sort((a, b) => a.createDate.localeCompare(b.createDate))[0];
      await this.iam(
        target,
        'DeletePolicyVersion',
        new DeletePolicyVersionCommand({
          PolicyArn: policyArn,
          VersionId: oldest.versionId,
        }),
      );
    }
    const out = await this.iam(
      target,
      'CreatePolicyVersion',
      new CreatePolicyVersionCommand({
        PolicyArn: policyArn,
        PolicyDocument: JSON.stringify(document),
        SetAsDefault: true,
      }),
    );
    return out.PolicyVersion?.VersionId ?? '';
  }

  async deletePolicy(target: AwsTarget, policyArn: string) {
    const versions = await this.listPolicyVersions(target, policyArn);
    for (const v of versions.filter(x => !x.isDefault)) {
      await this.iam(
        target,
        'DeletePolicyVersion',
        new DeletePolicyVersionCommand({
          PolicyArn: policyArn,
          VersionId: v.versionId,
        }),
      );
    }
    await this.iam(
      target,
      'DeletePolicy',
      new DeletePolicyCommand({ PolicyArn: policyArn }),
    );
  }

  async listAttachedRolePolicies(
    target: AwsTarget,
    roleName: string,
  ): Promise<AttachedPolicyRef[]> {
    const result: AttachedPolicyRef[] = [];
    let marker: string | undefined;
    do {
      const out = await this.iam(
        target,
        'ListAttachedRolePolicies',
        new ListAttachedRolePoliciesCommand({
          RoleName: roleName,
          Marker: marker,
        }),
      );
      result.push(
        ...(out.AttachedPolicies ?? []).map((p: any) => ({
          arn: p.PolicyArn ?? '',
          name: p.PolicyName ?? '',
        })),
      );
      marker = out.IsTruncated ? out.Marker : undefined;
    } while (marker);
    return result;
  }

  async attachRolePolicy(
    target: AwsTarget,
    roleName: string,
    policyArn: string,
  ) {
    await this.iam(
      target,
      'AttachRolePolicy',
      new AttachRolePolicyCommand({ RoleName: roleName, PolicyArn: policyArn }),
    );
  }

  async detachRolePolicy(
    target: AwsTarget,
    roleName: string,
    policyArn: string,
  ) {
    await this.iam(
      target,
      'DetachRolePolicy',
      new DetachRolePolicyCommand({ RoleName: roleName, PolicyArn: policyArn }),
    );
  }

  // --- Inline policies

  async listRolePolicies(
    target: AwsTarget,
    roleName: string,
  ): Promise<string[]> {
    const names: string[] = [];
    let marker: string | undefined;
    do {
      const out = await this.iam(
        target,
        'ListRolePolicies',
        new ListRolePoliciesCommand({ RoleName: roleName, Marker: marker }),
      );
      names.push(...(out.PolicyNames ?? []));
      marker = out.IsTruncated ? out.Marker : undefined;
    } while (marker);
    return names;
  }

  async getRolePolicy(target: AwsTarget, roleName: string, policyName: string) {
    const out = await this.iam(
      target,
      'GetRolePolicy',
      new GetRolePolicyCommand({ RoleName: roleName, PolicyName: policyName }),
    );
    return decodePolicy(out.PolicyDocument);
  }

  async putRolePolicy(
    target: AwsTarget,
    roleName: string,
    policyName: string,
    document: PolicyDocument,
  ) {
    await this.iam(
      target,
      'PutRolePolicy',
      new PutRolePolicyCommand({
        RoleName: roleName,
        PolicyName: policyName,
        PolicyDocument: JSON.stringify(document),
      }),
    );
  }

  async deleteRolePolicy(
    target: AwsTarget,
    roleName: string,
    policyName: string,
  ) {
    await this.iam(
      target,
      'DeleteRolePolicy',
      new DeleteRolePolicyCommand({
        RoleName: roleName,
        PolicyName: policyName,
      }),
    );
  }

  // --- Account and analysis

  async getAccountQuotas(target: AwsTarget) {
    const out = await this.iam(
      target,
      'GetAccountSummary',
      new GetAccountSummaryCommand({}),
    );
    const m: Record<string, number> = out.SummaryMap ?? {};
    return {
      assumeRolePolicySizeMax: m.AssumeRolePolicySizeQuota ?? 2048,
      policySizeQuota: m.PolicySizeQuota ?? 6144,
      rolePolicySizeQuota: m.RolePolicySizeQuota ?? 10240,
      attachedPoliciesPerRoleQuota: m.AttachedPoliciesPerRoleQuota ?? 10,
      roles: m.Roles ?? 0,
      rolesQuota: m.RolesQuota ?? 1000,
      policies: m.Policies ?? 0,
      policiesQuota: m.PoliciesQuota ?? 1500,
    };
  }

  async simulatePrincipalPolicy(
    target: AwsTarget,
    input: Parameters<IamGateway['simulatePrincipalPolicy']>[1],
  ) {
    const out = await this.iam(
      target,
      'SimulatePrincipalPolicy',
      new SimulatePrincipalPolicyCommand({
        PolicySourceArn: input.policySourceArn,
        ActionNames: input.actionNames,
        ResourceArns: input.resourceArns,
        ContextEntries: input.contextEntries?.map(c => ({
          ContextKeyName: c.key,
          ContextKeyType: c.type,
          ContextKeyValues: c.values,
        })),
      }),
    );
    return (out.EvaluationResults ?? []).map((r: any) => ({
      actionName: r.EvalActionName ?? '',
      resourceArn: r.EvalResourceName ?? '*',
      decision: r.EvalDecision as 'allowed' | 'explicitDeny' | 'implicitDeny',
      matchedStatementIds: (r.MatchedStatements ?? []).map(
        (s: any) => s.SourcePolicyId ?? '',
      ),
    }));
  }

  // --- STS

  async assumeRoleWithWebIdentity(
    target: AwsTarget,
    input: { roleArn: string; webIdentityToken: string; sessionName: string },
  ) {
    const out = await this.send<any>(
      'sts',
      target,
      'sts:AssumeRoleWithWebIdentity',
      new AssumeRoleWithWebIdentityCommand({
        RoleArn: input.roleArn,
        WebIdentityToken: input.webIdentityToken,
        RoleSessionName: input.sessionName,
        DurationSeconds: 900,
      }),
    );
    // The credentials are proof enough; they are dropped here, never returned.
    return {
      assumedRoleArn: out.AssumedRoleUser?.Arn ?? '',
      assumedRoleId: out.AssumedRoleUser?.AssumedRoleId ?? '',
      subjectFromWebIdentityToken: out.SubjectFromWebIdentityToken,
      audience: out.Audience,
      provider: out.Provider,
      expiration: out.Credentials?.Expiration
        ? iso(out.Credentials.Expiration)
        : undefined,
    };
  }

  // --- EKS and EC2

  async describeCluster(target: AwsTarget, clusterName: string) {
    const out = await this.send<any>(
      'eks',
      target,
      'eks:DescribeCluster',
      new DescribeClusterCommand({ name: clusterName }),
    );
    const c = out.cluster ?? {};
    return {
      name: c.name ?? clusterName,
      arn: c.arn ?? '',
      status: c.status ?? 'UNKNOWN',
      endpoint: c.endpoint,
      issuerUrl: c.identity?.oidc?.issuer,
      vpcId: c.resourcesVpcConfig?.vpcId,
      subnetIds: c.resourcesVpcConfig?.subnetIds ?? [],
    };
  }

  /** Every page of an EC2 Describe* call. */
  private async ec2All<T>(
    target: AwsTarget,
    operation: string,
    make: (token?: string) => any,
    pick: (out: any) => T[],
  ): Promise<T[]> {
    const items: T[] = [];
    let token: string | undefined;
    do {
      const out = await this.send<any>(
        'ec2',
        target,
        `ec2:${operation}`,
        make(token),
      );
      items.push(...pick(out));
      token = out.NextToken;
    } while (token);
    return items;
  }

  async describeSubnets(
    target: AwsTarget,
    filter: { subnetIds?: string[]; vpcId?: string; tagKey?: string },
  ): Promise<SubnetInfo[]> {
    const filters: Filter[] = [
      ...(filter.vpcId ? [{ Name: 'vpc-id', Values: [filter.vpcId] }] : []),
      ...(filter.tagKey ? [{ Name: 'tag-key', Values: [filter.tagKey] }] : []),
    ];
    return this.ec2All(
      target,
      'DescribeSubnets',
      token =>
        new DescribeSubnetsCommand({
          SubnetIds: filter.subnetIds,
          Filters: filters.length ? filters : undefined,
          NextToken: token,
        }),
      out =>
        (out.Subnets ?? []).map((s: any) => ({
          id: s.SubnetId ?? '',
          vpcId: s.VpcId ?? '',
          cidrBlock: s.CidrBlock,
          ipv6CidrBlocks: (s.Ipv6CidrBlockAssociationSet ?? []).map(
            (a: any) => a.Ipv6CidrBlock ?? '',
          ),
          availabilityZone: s.AvailabilityZone,
          tags: tagsOf(s.Tags),
        })),
    );
  }

  async describeVpcs(target: AwsTarget, vpcIds: string[]): Promise<VpcInfo[]> {
    return this.ec2All(
      target,
      'DescribeVpcs',
      token => new DescribeVpcsCommand({ VpcIds: vpcIds, NextToken: token }),
      out =>
        (out.Vpcs ?? []).map((v: any) => ({
          id: v.VpcId ?? '',
          cidrBlocks: (v.CidrBlockAssociationSet ?? []).map(
            (a: any) => a.CidrBlock ?? '',
          ),
          ipv6CidrBlocks: (v.Ipv6CidrBlockAssociationSet ?? []).map(
            (a: any) => a.Ipv6CidrBlock ?? '',
          ),
          tags: tagsOf(v.Tags),
        })),
    );
  }

  async describeNatGateways(
    target: AwsTarget,
    filter: { vpcId: string },
  ): Promise<NatGatewayInfo[]> {
    return this.ec2All(
      target,
      'DescribeNatGateways',
      token =>
        new DescribeNatGatewaysCommand({
          Filter: [{ Name: 'vpc-id', Values: [filter.vpcId] }],
          NextToken: token,
        }),
      out =>
        (out.NatGateways ?? []).map((n: any) => ({
          id: n.NatGatewayId ?? '',
          vpcId: n.VpcId ?? '',
          subnetId: n.SubnetId ?? '',
          state: n.State ?? '',
          publicIps: (n.NatGatewayAddresses ?? [])
            .map((a: any) => a.PublicIp)
            .filter(Boolean),
        })),
    );
  }

  async describeRouteTables(
    target: AwsTarget,
    filter: { vpcId: string },
  ): Promise<RouteTableInfo[]> {
    return this.ec2All(
      target,
      'DescribeRouteTables',
      token =>
        new DescribeRouteTablesCommand({
          Filters: [{ Name: 'vpc-id', Values: [filter.vpcId] }],
          NextToken: token,
        }),
      out =>
        (out.RouteTables ?? []).map((t: any) => ({
          id: t.RouteTableId ?? '',
          vpcId: t.VpcId ?? '',
          main: (t.Associations ?? []).some((a: any) => a.Main),
          subnetIds: (t.Associations ?? [])
            .map((a: any) => a.SubnetId)
            .filter(Boolean),
          natGatewayIds: (t.Routes ?? [])
            .map((r: any) => r.NatGatewayId)
            .filter(Boolean),
        })),
    );
  }

  async describeVpcEndpoints(
    target: AwsTarget,
    filter: { vpcId: string },
  ): Promise<VpcEndpointInfo[]> {
    return this.ec2All(
      target,
      'DescribeVpcEndpoints',
      token =>
        new DescribeVpcEndpointsCommand({
          Filters: [{ Name: 'vpc-id', Values: [filter.vpcId] }],
          NextToken: token,
        }),
      out =>
        (out.VpcEndpoints ?? []).map((e: any) => ({
          id: e.VpcEndpointId ?? '',
          vpcId: e.VpcId ?? '',
          serviceName: e.ServiceName ?? '',
          type: e.VpcEndpointType ?? '',
          state: e.State,
        })),
    );
  }

  // --- CloudTrail

  async lookupEvents(
    target: AwsTarget,
    input: Parameters<IamGateway['lookupEvents']>[1],
  ): Promise<CloudTrailEventInfo[]> {
    const events: CloudTrailEventInfo[] = [];
    let token: string | undefined;
    do {
      const out = await this.send<any>(
        'cloudtrail',
        target,
        'cloudtrail:LookupEvents',
        new LookupEventsCommand({
          LookupAttributes: [
            {
              AttributeKey: input.attribute.key,
              AttributeValue: input.attribute.value,
            },
          ],
          StartTime: input.startTime,
          EndTime: input.endTime,
          MaxResults: Math.min(50, input.maxEvents - events.length),
          NextToken: token,
        }),
      );
      for (const e of out.Events ?? []) {
        const detail = e.CloudTrailEvent ? JSON.parse(e.CloudTrailEvent) : {};
        events.push({
          eventId: e.EventId ?? '',
          eventName: e.EventName ?? '',
          eventSource: e.EventSource ?? '',
          eventTime: iso(e.EventTime),
          username: e.Username,
          errorCode: detail.errorCode,
          errorMessage: detail.errorMessage,
          sourceIp: detail.sourceIPAddress,
        });
      }
      token = out.NextToken;
    } while (token && events.length < input.maxEvents);
    return events;
  }

  // --- IAM Access Analyzer

  async validatePolicy(
    target: AwsTarget,
    input: Parameters<IamGateway['validatePolicy']>[1],
  ): Promise<PolicyFinding[]> {
    const findings: PolicyFinding[] = [];
    let nextToken: string | undefined;
    // A page cap, so an endpoint that repeats its token cannot loop forever.
    for (let page = 0; page < MAX_VALIDATE_POLICY_PAGES; page++) {
      const out = await this.send<ValidatePolicyCommandOutput>(
        'accessanalyzer',
        target,
        'access-analyzer:ValidatePolicy',
        new ValidatePolicyCommand({
          policyDocument: JSON.stringify(input.document),
          policyType: input.policyType,
          ...(nextToken ? { nextToken } : {}),
        }),
      );
      findings.push(...(out.findings ?? []).map(policyFinding));
      nextToken = out.nextToken;
      if (!nextToken) break;
    }
    return findings;
  }
}

const FINDING_TYPES: ReadonlyArray<PolicyFinding['findingType']> = [
  'ERROR',
  'SECURITY_WARNING',
  'SUGGESTION',
  'WARNING',
];

// Access Analyzer's path elements as a path a reader can follow:
// [{value: 'Statement'}, {index: 0}, {value: 'Action'}, {index: 1}] is
// Statement[0].Action[1]; a substring adds the characters it spans.
function locationPath(path: PathElement[] | undefined): string {
  return (path ?? []).reduce((text, element) => {
    if (element.index !== undefined) return `${text}[${element.index}]`;
    const name = element.key ?? element.value;
    if (name !== undefined) return text ? `${text}.${name}` : name;
    if (element.substring) {
      const start = element.substring.start ?? 0;
      const end = start + (element.substring.length ?? 0);
      return `${text} (characters ${start}-${end})`;
    }
    return text;
  }, '');
}

function policyFinding(finding: ValidatePolicyFinding): PolicyFinding {
  const type = FINDING_TYPES.find(t => t === finding.findingType);
  return {
    // A type this SDK does not know yet is shown, never dropped.
    findingType: type ?? 'WARNING',
    issueCode: finding.issueCode ?? '',
    details: finding.findingDetails ?? '',
    locations: (finding.locations ?? [])
      .map(location => locationPath(location.path))
      .filter(path => path !== ''),
  };
}
