import {
  CHECK_TITLES,
  EKS_ROLE_ARN_ANNOTATION,
  parseRoleArn,
} from '@backstage-irsa/plugin-irsa-common';
import type { CheckEvidence, IrsaCheck, IrsaCheckOutcome } from '../checkTypes';
import { json, TEMPLATE_HINT } from './helpers';

function roleUnknown(e: Readonly<CheckEvidence>): IrsaCheckOutcome {
  return {
    status: 'fail',
    message: e.roleArnProblem
      ? `The role ARN is not valid: ${e.roleArnProblem}`
      : `Role unknown: the entity has no irsa.dev/role-arn, the ServiceAccount no ${EKS_ROLE_ARN_ANNOTATION}, and no role named ${e.defaultRoleName} exists`,
    evidence: { roleArnSource: e.roleArnSource },
    remediation: e.roleArnProblem
      ? `Correct irsa.dev/role-arn (arn:aws:iam::ACCOUNT:role/NAME), or ${TEMPLATE_HINT}`
      : `No role yet: ${TEMPLATE_HINT}; or set irsa.dev/role-arn in catalog-info.yaml`,
  };
}

/** `role`: the role exists, in the cluster's account. */
export const roleCheck: IrsaCheck = {
  id: 'role',
  title: CHECK_TITLES.role,
  mechanism: 'any',
  reads: ['facts', 'role'],
  run({ evidence: e, read }) {
    const facts = read('facts');
    if (!e.roleArn) return roleUnknown(e);
    const parsed = parseRoleArn(e.roleArn, 'role ARN');
    const evidence = {
      roleArn: e.roleArn,
      roleArnSource: e.roleArnSource,
      roleAccountId: parsed.accountId,
      clusterAccountId: facts.accountId,
    };
    if (parsed.accountId !== facts.accountId) {
      return {
        status: 'fail',
        message: `The role is in account ${parsed.accountId}, the cluster in ${facts.accountId}`,
        evidence,
        remediation: `The role pods get lives in the cluster's account (${facts.accountId}): create it there or correct the ARN`,
      };
    }
    const role = read('role');
    if (!role) {
      return {
        status: 'fail',
        message: `The role ${parsed.roleName} does not exist in account ${parsed.accountId}`,
        evidence,
        remediation: `To re-create it, ${TEMPLATE_HINT}; or point irsa.dev/role-arn and the ServiceAccount annotation at an existing role`,
      };
    }
    return {
      status: 'pass',
      message: `Role ${role.name} exists`,
      evidence: {
        ...evidence,
        roleId: role.roleId,
        createDate: role.createDate,
        tags: json(role.tags),
      },
    };
  },
};
