import {
  CHECK_TITLES,
  iamWildcardToRegExp,
} from '@backstage-irsa/plugin-irsa-common';
import type { IrsaCheck } from '../checkTypes';
import { conditionValues, json, trustedStatements } from './helpers';

/** `trust-subject`: `:sub` names exactly this ServiceAccount. */
export const trustSubjectCheck: IrsaCheck = {
  id: 'trust-subject',
  title: CHECK_TITLES['trust-subject'],
  mechanism: 'irsa',
  dependsOn: ['trust-principal'],
  reads: ['facts', 'role'],
  run({ evidence: e, read }) {
    const facts = read('facts');
    const key = `${facts.issuer}:sub`;
    const expected = `system:serviceaccount:${e.namespace}:${e.serviceAccountName}`;
    const found = conditionValues(trustedStatements(read('role')!, facts), key);
    const evidence = { conditionKey: key, expected, found: json(found) };
    const remediation = `Use the condition "StringEquals": {"${key}": "${expected}"}`;
    if (!found.length) {
      return {
        status: 'fail',
        message: `The trust policy has no ${key} condition: any ServiceAccount in the cluster could assume the role`,
        evidence,
        remediation,
      };
    }
    const exact = found.find(
      f => f.operator === 'StringEquals' && f.values.includes(expected),
    );
    if (exact)
      return {
        status: 'pass',
        message: `Trusts exactly ${expected}`,
        evidence,
      };
    const literalStar = found.find(
      f => f.operator === 'StringEquals' && f.values.some(v => v.includes('*')),
    );
    if (literalStar) {
      return {
        status: 'fail',
        message: `StringEquals treats * literally: "${literalStar.values.join(', ')}" matches no ServiceAccount`,
        evidence,
        remediation,
      };
    }
    const like = found.find(
      f =>
        f.operator === 'StringLike' &&
        f.values.some(v => iamWildcardToRegExp(v).test(expected)),
    );
    if (like) {
      return {
        status: 'warn',
        message: `A wildcard subject (${like.values.join(', ')}) also trusts other ServiceAccounts`,
        evidence,
        remediation,
      };
    }
    return {
      status: 'fail',
      message: `The trust policy's ${key} is ${found.flatMap(f => f.values).join(', ')}, not ${expected}`,
      evidence,
      remediation,
    };
  },
};
