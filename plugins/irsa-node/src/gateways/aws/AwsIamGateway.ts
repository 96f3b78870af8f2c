import {
  AttachRolePolicyCommand,
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  CreateRoleCommand,
  DeletePolicyCommand,
  DeletePolicyVersionCommand,
  DeleteRoleCommand,
  DetachRolePolicyCommand,
  GetAccountAuthorizationDetailsCommand,
  GetAccountSummaryCommand,
  GetOpenIDConnectProviderCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  ListPolicyVersionsCommand,
  ListRolePoliciesCommand,
  ListRolesCommand,
  ListRoleTagsCommand,
  TagPolicyCommand,
  TagRoleCommand,
  UntagPolicyCommand,
  UntagRoleCommand,
  UpdateAssumeRolePolicyCommand,
  type AttachedPolicy,
  type ManagedPolicyDetail as SdkManagedPolicyDetail,
  type Policy,
  type Role,
  type RoleDetail as SdkRoleDetail,
} from '@aws-sdk/client-iam';
import type { PolicyDocument } from '@backstage-irsa/plugin-irsa-common';
import { MANAGED_BY, OWNERSHIP } from '../../provisioner/ownership';
import { isGatewayError } from '../errors';
import type {
  AccountAuthorizationDetails,
  AccountQuotas,
  AttachedPolicyRef,
  AwsTarget,
  CreatePolicyInput,
  CreateRoleInput,
  IamGateway,
  ManagedPolicyDetail,
  ManagedPolicyInfo,
  ManagedRoleSummary,
  OidcProviderInfo,
  PolicyVersionInfo,
  RoleDetail,
  RoleInfo,
} from '../types';
import { defineAwsApi, type AwsApiClientFor } from './AwsApiClient';
import { allPages } from './allPages';
import { tagList, tagRecord } from './awsTags';

/** The IAM API as this gateway uses it: every command it may send. */
export const IAM_API = defineAwsApi({
  name: 'iam',
  requestsPerSecond: 10,
  commands: [
    GetOpenIDConnectProviderCommand,
    GetRoleCommand,
    CreateRoleCommand,
    UpdateAssumeRolePolicyCommand,
    TagRoleCommand,
    UntagRoleCommand,
    DeleteRoleCommand,
    CreatePolicyCommand,
    GetPolicyCommand,
    TagPolicyCommand,
    UntagPolicyCommand,
    GetPolicyVersionCommand,
    ListPolicyVersionsCommand,
    CreatePolicyVersionCommand,
    DeletePolicyVersionCommand,
    DeletePolicyCommand,
    ListAttachedRolePoliciesCommand,
    AttachRolePolicyCommand,
    DetachRolePolicyCommand,
    ListRolePoliciesCommand,
    GetRolePolicyCommand,
    GetAccountSummaryCommand,
    ListRolesCommand,
    ListRoleTagsCommand,
    GetAccountAuthorizationDetailsCommand,
  ],
  createClient: config => new IAMClient(config),
});

const MAX_POLICY_VERSIONS = 5;

/** GetAccountAuthorizationDetails' largest page. */
const AUTHORIZATION_DETAILS_PAGE_SIZE = 1000;

/**
 * IAM returns policy documents URL-encoded; IAM-compatible endpoints (moto,
 * LocalStack) return them as plain JSON, which may hold a literal `%`. An
 * encoded document never starts with `{` (IAM encodes it as %7B).
 */
function decodePolicy(text: string | undefined): PolicyDocument {
  const raw = (text ?? '{}').trimStart();
  return JSON.parse(
    raw.startsWith('{') ? raw : decodeURIComponent(raw),
  ) as PolicyDocument;
}

/**
 * Every item of an IAM list call: `fetchPage(marker)` from the first page on.
 * IAM's Marker is meaningful only while IsTruncated says there is more.
 */
function iamPages<Page extends { IsTruncated?: boolean; Marker?: string }, T>(
  fetchPage: (marker: string | undefined) => Promise<Page>,
  items: (page: Page) => T[] | undefined,
): Promise<T[]> {
  return allPages(fetchPage, page => ({
    items: items(page) ?? [],
    next: page.IsTruncated ? page.Marker : undefined,
  }));
}

const iso = (date: Date | undefined) => (date ? date.toISOString() : '');

/** The fields GetRole and GetAccountAuthorizationDetails both return for a role. */
type RoleFields = Partial<
  Pick<
    Role,
    | 'Arn'
    | 'RoleName'
    | 'Path'
    | 'RoleId'
    | 'AssumeRolePolicyDocument'
    | 'Tags'
    | 'CreateDate'
    | 'PermissionsBoundary'
    | 'RoleLastUsed'
  >
>;

function roleFacts(
  role: RoleFields | undefined,
): Omit<RoleInfo, 'maxSessionDuration' | 'description'> {
  const lastUsed = role?.RoleLastUsed;
  return {
    arn: role?.Arn ?? '',
    name: role?.RoleName ?? '',
    path: role?.Path ?? '/',
    roleId: role?.RoleId ?? '',
    trustPolicy: decodePolicy(role?.AssumeRolePolicyDocument),
    tags: tagRecord(role?.Tags),
    createDate: iso(role?.CreateDate),
    ...(role?.PermissionsBoundary?.PermissionsBoundaryArn
      ? {
          permissionsBoundaryArn:
            role.PermissionsBoundary.PermissionsBoundaryArn,
        }
      : {}),
    ...(lastUsed?.LastUsedDate || lastUsed?.Region
      ? {
          roleLastUsed: {
            lastUsedDate: lastUsed.LastUsedDate && iso(lastUsed.LastUsedDate),
            region: lastUsed.Region,
          },
        }
      : {}),
  };
}

const attachedRef = (policy: AttachedPolicy): AttachedPolicyRef => ({
  arn: policy.PolicyArn ?? '',
  name: policy.PolicyName ?? '',
});

function roleInfo(role: Role | undefined): RoleInfo {
  return {
    ...roleFacts(role),
    maxSessionDuration: role?.MaxSessionDuration ?? 3600,
    ...(role?.Description ? { description: role.Description } : {}),
  };
}

function roleDetail(role: SdkRoleDetail): RoleDetail {
  return {
    ...roleFacts(role),
    attachedPolicies: (role.AttachedManagedPolicies ?? []).map(attachedRef),
    inlinePolicies: (role.RolePolicyList ?? []).map(policy => ({
      name: policy.PolicyName ?? '',
      document: decodePolicy(policy.PolicyDocument),
    })),
  };
}

const isAwsManaged = (arn: string) => /^arn:[^:]+:iam::aws:policy\//.test(arn);

function policyInfo(policy: Policy | undefined): ManagedPolicyInfo {
  const arn = policy?.Arn ?? '';
  return {
    arn,
    // The ARN ends in the name (moto leaves PolicyName out of GetAccountAuthorizationDetails).
    name: policy?.PolicyName ?? arn.slice(arn.lastIndexOf('/') + 1),
    path: policy?.Path ?? '/',
    defaultVersionId: policy?.DefaultVersionId ?? 'v1',
    awsManaged: isAwsManaged(arn),
    attachmentCount: policy?.AttachmentCount ?? 0,
    tags: tagRecord(policy?.Tags),
  };
}

/** GetAccountAuthorizationDetails leaves policy tags out: `tags` is empty. */
function managedPolicyDetail(
  policy: SdkManagedPolicyDetail,
): ManagedPolicyDetail {
  const defaultVersion = policy.PolicyVersionList?.find(
    version => version.IsDefaultVersion,
  );
  return {
    ...policyInfo(policy),
    defaultDocument: decodePolicy(defaultVersion?.Document),
  };
}

/**
 * An AWS managed policy nothing uses: no role can need its document. IAM
 * lists only the AWS managed policies in use; emulators list all of them
 * (over a thousand), so the gateway keeps the same set either way.
 */
function isUnusedAwsPolicy(policy: SdkManagedPolicyDetail): boolean {
  return (
    isAwsManaged(policy.Arn ?? '') &&
    !policy.AttachmentCount &&
    !policy.PermissionsBoundaryUsageCount
  );
}

/** IAM on AWS SDK v3: roles, managed policies, inline policy reads, the OIDC provider, quotas. */
export class AwsIamGateway implements IamGateway {
  constructor(private readonly iam: AwsApiClientFor<typeof IAM_API>) {}

  async getOidcProvider(
    target: AwsTarget,
    arn: string,
  ): Promise<OidcProviderInfo> {
    const out = await this.iam.send(
      target,
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

  async listManagedRoles(
    target: AwsTarget,
    pathPrefix: string,
  ): Promise<ManagedRoleSummary[]> {
    const roles = await iamPages(
      Marker =>
        this.iam.send(
          target,
          new ListRolesCommand({ PathPrefix: pathPrefix, Marker }),
        ),
      page => page.Roles,
    );
    const managed: ManagedRoleSummary[] = [];
    // One at a time: the account's IAM request budget is shared with provisioning.
    for (const role of roles) {
      const name = role.RoleName ?? '';
      const tags = await iamPages(
        Marker =>
          this.iam.send(
            target,
            new ListRoleTagsCommand({ RoleName: name, Marker }),
          ),
        page => page.Tags,
      );
      const record = tagRecord(tags);
      if (record[OWNERSHIP.managedBy] !== MANAGED_BY) continue;
      managed.push({
        arn: role.Arn ?? '',
        name,
        path: role.Path ?? '/',
        tags: record,
      });
    }
    return managed;
  }

  async getRole(target: AwsTarget, roleName: string): Promise<RoleInfo> {
    const out = await this.iam.send(
      target,
      new GetRoleCommand({ RoleName: roleName }),
    );
    return roleInfo(out.Role);
  }

  async createRole(
    target: AwsTarget,
    input: CreateRoleInput,
  ): Promise<RoleInfo> {
    const out = await this.iam.send(
      target,
      new CreateRoleCommand({
        RoleName: input.name,
        Path: input.path,
        AssumeRolePolicyDocument: JSON.stringify(input.trustPolicy),
        Description: input.description,
        MaxSessionDuration: input.maxSessionDuration,
        PermissionsBoundary: input.permissionsBoundaryArn,
        Tags: tagList(input.tags),
      }),
    );
    return roleInfo(out.Role);
  }

  async updateTrustPolicy(
    target: AwsTarget,
    roleName: string,
    trustPolicy: PolicyDocument,
  ): Promise<void> {
    await this.iam.send(
      target,
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
  ): Promise<void> {
    await this.iam.send(
      target,
      new TagRoleCommand({ RoleName: roleName, Tags: tagList(tags) }),
    );
  }

  async untagRole(
    target: AwsTarget,
    roleName: string,
    keys: string[],
  ): Promise<void> {
    await this.iam.send(
      target,
      new UntagRoleCommand({ RoleName: roleName, TagKeys: keys }),
    );
  }

  async deleteRole(target: AwsTarget, roleName: string): Promise<void> {
    await this.iam.send(target, new DeleteRoleCommand({ RoleName: roleName }));
  }

  async waitUntilRoleExists(
    target: AwsTarget,
    roleName: string,
    timeoutMs: number,
  ): Promise<void> {
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
    input: CreatePolicyInput,
  ): Promise<ManagedPolicyInfo> {
    const out = await this.iam.send(
      target,
      new CreatePolicyCommand({
        PolicyName: input.name,
        Path: input.path,
        PolicyDocument: JSON.stringify(input.document),
        Description: input.description,
        Tags: tagList(input.tags),
      }),
    );
    return policyInfo(out.Policy);
  }

  async getPolicy(
    target: AwsTarget,
    policyArn: string,
  ): Promise<ManagedPolicyInfo> {
    const out = await this.iam.send(
      target,
      new GetPolicyCommand({ PolicyArn: policyArn }),
    );
    return policyInfo(out.Policy);
  }

  async tagPolicy(
    target: AwsTarget,
    policyArn: string,
    tags: Record<string, string>,
  ): Promise<void> {
    await this.iam.send(
      target,
      new TagPolicyCommand({ PolicyArn: policyArn, Tags: tagList(tags) }),
    );
  }

  async untagPolicy(
    target: AwsTarget,
    policyArn: string,
    keys: string[],
  ): Promise<void> {
    await this.iam.send(
      target,
      new UntagPolicyCommand({ PolicyArn: policyArn, TagKeys: keys }),
    );
  }

  async getPolicyVersion(
    target: AwsTarget,
    policyArn: string,
    versionId: string,
  ): Promise<PolicyDocument> {
    const out = await this.iam.send(
      target,
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
    const out = await this.iam.send(
      target,
      new ListPolicyVersionsCommand({ PolicyArn: policyArn }),
    );
    return (out.Versions ?? []).map(version => ({
      versionId: version.VersionId ?? '',
      isDefault: Boolean(version.IsDefaultVersion),
      createDate: iso(version.CreateDate),
    }));
  }

  async createPolicyVersion(
    target: AwsTarget,
    policyArn: string,
    document: PolicyDocument,
  ): Promise<string> {
    const versions = await this.listPolicyVersions(target, policyArn);
    if (versions.length >= MAX_POLICY_VERSIONS) {
      // IAM keeps five versions; make room by deleting the oldest non-default one.
      const oldest = versions
        .filter(v => !v.isDefault)
        .sort((a, b) => a.createDate.localeCompare(b.createDate))[0];
      await this.deletePolicyVersion(target, policyArn, oldest.versionId);
    }
    const out = await this.iam.send(
      target,
      new CreatePolicyVersionCommand({
        PolicyArn: policyArn,
        PolicyDocument: JSON.stringify(document),
        SetAsDefault: true,
      }),
    );
    return out.PolicyVersion?.VersionId ?? '';
  }

  async deletePolicy(target: AwsTarget, policyArn: string): Promise<void> {
    const versions = await this.listPolicyVersions(target, policyArn);
    for (const version of versions.filter(v => !v.isDefault)) {
      await this.deletePolicyVersion(target, policyArn, version.versionId);
    }
    await this.iam.send(
      target,
      new DeletePolicyCommand({ PolicyArn: policyArn }),
    );
  }

  private async deletePolicyVersion(
    target: AwsTarget,
    policyArn: string,
    versionId: string,
  ): Promise<void> {
    await this.iam.send(
      target,
      new DeletePolicyVersionCommand({
        PolicyArn: policyArn,
        VersionId: versionId,
      }),
    );
  }

  async listAttachedRolePolicies(
    target: AwsTarget,
    roleName: string,
  ): Promise<AttachedPolicyRef[]> {
    return iamPages(
      Marker =>
        this.iam.send(
          target,
          new ListAttachedRolePoliciesCommand({ RoleName: roleName, Marker }),
        ),
      page => page.AttachedPolicies?.map(attachedRef),
    );
  }

  async attachRolePolicy(
    target: AwsTarget,
    roleName: string,
    policyArn: string,
  ): Promise<void> {
    await this.iam.send(
      target,
      new AttachRolePolicyCommand({ RoleName: roleName, PolicyArn: policyArn }),
    );
  }

  async detachRolePolicy(
    target: AwsTarget,
    roleName: string,
    policyArn: string,
  ): Promise<void> {
    await this.iam.send(
      target,
      new DetachRolePolicyCommand({ RoleName: roleName, PolicyArn: policyArn }),
    );
  }

  // --- Inline policies (read only)

  async listRolePolicies(
    target: AwsTarget,
    roleName: string,
  ): Promise<string[]> {
    return iamPages(
      Marker =>
        this.iam.send(
          target,
          new ListRolePoliciesCommand({ RoleName: roleName, Marker }),
        ),
      page => page.PolicyNames,
    );
  }

  async getRolePolicy(
    target: AwsTarget,
    roleName: string,
    policyName: string,
  ): Promise<PolicyDocument> {
    const out = await this.iam.send(
      target,
      new GetRolePolicyCommand({ RoleName: roleName, PolicyName: policyName }),
    );
    return decodePolicy(out.PolicyDocument);
  }

  // --- Account

  async getAccountAuthorizationDetails(
    target: AwsTarget,
    options: { signal?: AbortSignal } = {},
  ): Promise<AccountAuthorizationDetails> {
    const pages = await iamPages(
      Marker =>
        this.iam.send(
          target,
          new GetAccountAuthorizationDetailsCommand({
            Filter: ['Role', 'LocalManagedPolicy', 'AWSManagedPolicy'],
            MaxItems: AUTHORIZATION_DETAILS_PAGE_SIZE,
            Marker,
          }),
          options,
        ),
      page => [page],
    );
    return {
      roles: pages.flatMap(page => page.RoleDetailList ?? []).map(roleDetail),
      policies: pages
        .flatMap(page => page.Policies ?? [])
        .filter(policy => !isUnusedAwsPolicy(policy))
        .map(managedPolicyDetail),
    };
  }

  async getAccountQuotas(target: AwsTarget): Promise<AccountQuotas> {
    const out = await this.iam.send(target, new GetAccountSummaryCommand({}));
    const summary = out.SummaryMap ?? {};
    return {
      assumeRolePolicySizeMax: summary.AssumeRolePolicySizeQuota ?? 2048,
      policySizeQuota: summary.PolicySizeQuota ?? 6144,
      rolePolicySizeQuota: summary.RolePolicySizeQuota ?? 10240,
      attachedPoliciesPerRoleQuota: summary.AttachedPoliciesPerRoleQuota ?? 10,
      roles: summary.Roles ?? 0,
      rolesQuota: summary.RolesQuota ?? 1000,
      policies: summary.Policies ?? 0,
      policiesQuota: summary.PoliciesQuota ?? 1500,
    };
  }
}
