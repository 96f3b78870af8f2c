import { InputError, NotAllowedError } from '@backstage/errors';
import {
  parseRoleArn,
  type PolicyDocument,
  type PolicyStatement,
} from '@backstage-irsa/plugin-irsa-common';
import { isGatewayError } from '../gateways/errors';
import type { IamGateway, RoleInfo } from '../gateways/types';
import { cidrContains } from '../verifier/cidr';

/*
 * The cross-account target role of a Pod Identity association: the role the
 * pods finally get. It lives in another account, which this project does
 * not write; it only reads it (with the credentials configured for that
 * account) to refuse a chain whose last role works from anywhere.
 */

/** A target role and the documents of its managed (default version) and inline policies. */
export interface TargetRoleEvidence {
  role: RoleInfo;
  policies: Array<{ name: string; document: PolicyDocument }>;
}

/** The IAM actions reading a target role takes, for error messages and the README. */
export const TARGET_ROLE_READ_ACTIONS = [
  'iam:GetRole',
  'iam:ListAttachedRolePolicies',
  'iam:ListRolePolicies',
  'iam:GetPolicy',
  'iam:GetPolicyVersion',
  'iam:GetRolePolicy',
];

/**
 * Reads the target role in its own account. A missing role is an
 * InputError; credentials that may not read it are a NotAllowedError
 * saying what Backstage needs there.
 */
export async function readTargetRole(
  iam: IamGateway,
  region: string,
  arn: string,
): Promise<TargetRoleEvidence> {
  const { accountId, roleName } = parseRoleArn(arn, 'targetRoleArn');
  const target = { accountId, region };
  try {
    const [role, attached, inlineNames] = await Promise.all([
      iam.getRole(target, roleName),
      iam.listAttachedRolePolicies(target, roleName),
      iam.listRolePolicies(target, roleName),
    ]);
    if (role.arn !== arn)
      throw new InputError(
        `targetRoleArn: account ${accountId} has role ${roleName} at ${role.arn}, not ${arn}`,
      );
    const policies = await Promise.all([
      ...attached.map(async ({ arn: policyArn, name }) => {
        const policy = await iam.getPolicy(target, policyArn);
        return {
          name,
          document: await iam.getPolicyVersion(
            target,
            policyArn,
            policy.defaultVersionId,
          ),
        };
      }),
      ...inlineNames.map(async name => ({
        name,
        document: await iam.getRolePolicy(target, roleName, name),
      })),
    ]);
    return { role, policies };
  } catch (error) {
    if (isGatewayError(error, 'not-found') && error.operation === 'iam:GetRole')
      throw new InputError(
        `targetRoleArn: role ${roleName} does not exist in account ${accountId}`,
      );
    if (isGatewayError(error, 'access-denied'))
      throw new NotAllowedError(
        `targetRoleArn: Backstage may not read role ${roleName} in account ${accountId} (${error.operation}); it checks the target role's IP allowlist before chaining into it and needs credentials for that account (aws.accounts) with ${TARGET_ROLE_READ_ACTIONS.join(', ')}. Nothing was written`,
      );
    throw error;
  }
}

const asList = (value: unknown): string[] =>
  value === undefined ? [] : ([value].flat() as string[]);

/**
 * The CIDRs outside which a Deny of every action on every resource applies;
 * empty for anything else (a Deny of some resources leaves the rest open).
 */
function allowlistCidrs(statement: PolicyStatement): string[] {
  if (
    statement.Effect !== 'Deny' ||
    !asList(statement.Action).includes('*') ||
    statement.NotResource !== undefined ||
    !asList(statement.Resource).includes('*')
  )
    return [];
  const cidrs = Object.entries(statement.Condition ?? {})
    .filter(([operator]) => /^NotIpAddress(IfExists)?$/.test(operator))
    .flatMap(([, block]) => asList(block['aws:SourceIp']));
  // A Deny outside 0.0.0.0/0 denies nothing.
  return cidrs.some(c => c.endsWith('/0')) ? [] : cidrs;
}

/**
 * Refuses a target role without an IP allowlist: a Deny of every action on
 * NotIpAddress aws:SourceIp whose ranges hold every public egress IP of the
 * cluster (else the pods' own calls would be denied).
 */
export function checkTargetRoleAllowlist(
  evidence: TargetRoleEvidence,
  egressIps: string[],
): void {
  const { role } = evidence;
  const allowlists = evidence.policies.flatMap(({ name, document }) =>
    document.Statement.map(allowlistCidrs)
      .filter(cidrs => cidrs.length)
      .map(cidrs => ({ name, cidrs })),
  );
  if (!allowlists.length)
    throw new InputError(
      `targetRoleArn: role ${role.arn} has no IP allowlist (a Deny of "*" on every resource, on NotIpAddress aws:SourceIp); every role in a Pod Identity chain needs one so its credentials work only from the cluster. Attach one in its account, then run again`,
    );
  const uncovered = (cidrs: string[]) =>
    egressIps.filter(ip => !cidrs.some(cidr => cidrContains(cidr, ip)));
  if (allowlists.some(a => uncovered(a.cidrs).length === 0)) return;
  throw new InputError(
    `targetRoleArn: the IP allowlist of role ${role.arn} (${allowlists.map(a => a.name).join(', ')}) leaves out the cluster's egress IPs ${uncovered(allowlists[0].cidrs).join(', ')}: the pods' calls would be denied. Add them, then run again`,
  );
}
