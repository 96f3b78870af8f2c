import {
  policySize,
  type PolicyDocument,
} from '@backstage-irsa/plugin-irsa-common';
import type {
  AccountAuthorizationDetails,
  AccountQuotas,
  AttachedPolicyRef,
  AwsTarget,
  CreatePolicyInput,
  CreateRoleInput,
  IamGateway,
  ManagedPolicyInfo,
  ManagedRoleSummary,
  OidcProviderInfo,
  PolicyVersionInfo,
  RoleInfo,
} from '@backstage-irsa/plugin-irsa-node';
import {
  clone,
  sandboxError,
  type SandboxPolicy,
  type SandboxRole,
  SandboxState,
} from './state';

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

/** IAM as the sandbox's in-memory accounts hold it: roles, managed and inline policies, OIDC providers. */
export class SandboxIamGateway implements IamGateway {
  constructor(private readonly state: SandboxState) {}

  // --- OIDC providers

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

  async listManagedRoles(
    target: AwsTarget,
    pathPrefix: string,
  ): Promise<ManagedRoleSummary[]> {
    return [...this.state.account(target.accountId).roles.values()]
      .map(role => role.info)
      .filter(
        info =>
          info.path.startsWith(pathPrefix) &&
          info.tags['irsa.dev/managed-by'] === 'backstage-irsa',
      )
      .map(info => ({
        arn: info.arn,
        name: info.name,
        path: info.path,
        tags: { ...info.tags },
      }));
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

  // --- Account

  async getAccountQuotas(target: AwsTarget): Promise<AccountQuotas> {
    const account = this.state.account(target.accountId);
    return {
      ...QUOTAS,
      roles: account.roles.size,
      policies: account.policies.size,
    };
  }

  /**
   * GetAccountAuthorizationDetails (Role, LocalManagedPolicy,
   * AWSManagedPolicy): every role, every customer-managed policy, and the
   * AWS-managed policies attached in the account (IAM leaves unused ones
   * out). Role details carry no description or session duration and policy
   * details no tags, as in IAM's RoleDetail and ManagedPolicyDetail.
   */
  async getAccountAuthorizationDetails(
    target: AwsTarget,
    options: { signal?: AbortSignal } = {},
  ): Promise<AccountAuthorizationDetails> {
    if (options.signal?.aborted) {
      throw sandboxError(
        'unavailable',
        'iam:GetAccountAuthorizationDetails',
        'Aborted',
        'the call was cancelled',
      );
    }
    const account = this.state.account(target.accountId);
    const attachedAwsManaged = [
      ...this.state.awsManagedPolicies.values(),
    ].filter(p =>
      [...account.roles.values()].some(r =>
        r.attachedPolicyArns.includes(p.info.arn),
      ),
    );
    return clone({
      roles: [...account.roles.values()].map(role => {
        const {
          maxSessionDuration: _duration,
          description: _description,
          ...info
        } = role.info;
        return {
          ...info,
          attachedPolicies: role.attachedPolicyArns.map(arn => ({
            arn,
            name: arn.split('/').pop()!,
          })),
          inlinePolicies: [...role.inlinePolicies].map(([name, document]) => ({
            name,
            document,
          })),
        };
      }),
      policies: [...account.policies.values(), ...attachedAwsManaged].map(
        policy => ({
          ...policy.info,
          tags: {},
          defaultDocument: policy.versions.find(
            v => v.versionId === policy.info.defaultVersionId,
          )!.document,
        }),
      ),
    });
  }

  // --- Out of band (sandbox controls)

  /**
   * Not a gateway call: someone else puts an inline policy on the role, as in
   * the IAM console (for tests of what IRSA for Backstage must leave alone).
   */
  putRolePolicy(
    target: AwsTarget,
    roleName: string,
    policyName: string,
    document: PolicyDocument,
  ): void {
    const role = this.role(target, roleName, 'iam:PutRolePolicy');
    this.checkSize(
      document,
      QUOTAS.rolePolicySizeQuota,
      'iam:PutRolePolicy',
      'RolePolicySize',
    );
    role.inlinePolicies.set(policyName, clone(document));
  }

  /** Not a gateway call: someone else deletes an inline policy of the role. */
  deleteRolePolicy(
    target: AwsTarget,
    roleName: string,
    policyName: string,
  ): void {
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
}
