import { CHECK_TITLES } from '@backstage-irsa/plugin-irsa-common';
import type { IrsaCheck } from '../checkTypes';
import { conditionValues, json, trustedStatements } from './helpers';

/** `trust-audience`: `:aud` is the audience the ServiceAccount's tokens carry. */
export const trustAudienceCheck: IrsaCheck = {
  id: 'trust-audience',
  title: CHECK_TITLES['trust-audience'],
  mechanism: 'irsa',
  dependsOn: ['trust-principal'],
  reads: ['facts', 'role'],
  run({ evidence: e, read }) {
    const facts = read('facts');
    const key = `${facts.issuer}:aud`;
    const expected = e.audience;
    const found = conditionValues(trustedStatements(read('role')!, facts), key);
    const evidence = { conditionKey: key, expected, found: json(found) };
    const remediation = `Add "${key}": "${expected}" to the trust statement's StringEquals`;
    if (!found.length) {
      return {
        status: 'warn',
        message: `The trust policy does not pin ${key} to ${expected}`,
        evidence,
        remediation,
      };
    }
    if (found.some(f => f.values.includes(expected))) {
      return { status: 'pass', message: `Audience is ${expected}`, evidence };
    }
    return {
      status: 'fail',
      message: `The trust policy expects audience ${found.flatMap(f => f.values).join(', ')}, tokens carry ${expected}`,
      evidence,
      remediation,
    };
  },
};
