import {
  CHECK_TITLES,
  POD_IDENTITY_SERVICE_PRINCIPAL,
  POD_IDENTITY_TRUST_ACTIONS,
  buildPodIdentityTrustStatement,
  iamWildcardToRegExp,
  type PolicyStatement,
} from '@backstage-irsa/plugin-irsa-common';
import type { IrsaCheck, IrsaCheckOutcome } from '../checkTypes';
import { conditionValues, json, list } from './helpers';

// Operators that allow when the key matches: the ones a pinning condition uses.
const POSITIVE =
  /^(StringEquals|StringEqualsIgnoreCase|StringLike|ArnEquals|ArnLike)(IfExists)?$/;

/** A condition value against what EKS sends (`*Like` operators take wildcards). */
function conditionMatches(operator: string, pattern: string, actual: string) {
  if (operator.startsWith('StringEqualsIgnoreCase'))
    return pattern.toLowerCase() === actual.toLowerCase();
  if (operator.includes('Like'))
    return iamWildcardToRegExp(pattern).test(actual);
  return pattern === actual;
}

/** The Allow statements whose service principal is EKS Pod Identity's. */
function podIdentityStatements(statements: PolicyStatement[]) {
  return statements.filter(
    s =>
      s.Effect === 'Allow' &&
      s.Principal !== undefined &&
      s.Principal !== '*' &&
      list(s.Principal.Service).includes(POD_IDENTITY_SERVICE_PRINCIPAL),
  );
}

interface StatementReview {
  missingActions: string[];
  /** Keys whose value would refuse EKS's request. */
  mismatched: Array<{ key: string; expected: string; found: string[] }>;
  /** Keys the statement does not constrain. */
  unpinned: string[];
  /** Conditions on session tags that never arrive (session tags disabled). */
  tagConditions: string[];
}

function review(
  statement: PolicyStatement,
  expected: Array<[key: string, value: string]>,
  sessionTags: boolean,
): StatementReview {
  const actions = list(statement.Action);
  const allows = (action: string) =>
    actions.some(a =>
      iamWildcardToRegExp(a, { ignoreCase: true }).test(action),
    );
  const required = sessionTags
    ? POD_IDENTITY_TRUST_ACTIONS
    : POD_IDENTITY_TRUST_ACTIONS.filter(a => a !== 'sts:TagSession');
  const result: StatementReview = {
    missingActions: required.filter(a => !allows(a)),
    mismatched: [],
    unpinned: [],
    tagConditions: sessionTags
      ? []
      : Object.values(statement.Condition ?? {}).flatMap(block =>
          Object.keys(block).filter(k => k.startsWith('aws:RequestTag/')),
        ),
  };
  for (const [key, value] of expected) {
    const found = conditionValues([statement], key).filter(f =>
      POSITIVE.test(f.operator),
    );
    if (!found.length) result.unpinned.push(key);
    else if (
      !found.every(f =>
        f.values.some(v => conditionMatches(f.operator, v, value)),
      )
    ) {
      result.mismatched.push({
        key,
        expected: value,
        found: found.flatMap(f => f.values),
      });
    }
  }
  return result;
}

const problems = (r: StatementReview) =>
  r.missingActions.length + r.mismatched.length + r.tagConditions.length;

/**
 * `pod-identity-trust`: the trust policy lets the EKS Pod Identity service
 * principal assume and tag sessions, for this cluster, namespace and
 * ServiceAccount only.
 */
export const podIdentityTrustCheck: IrsaCheck = {
  id: 'pod-identity-trust',
  title: CHECK_TITLES['pod-identity-trust'],
  mechanism: 'pod-identity',
  dependsOn: ['role'],
  reads: ['facts', 'role', 'associations'],
  run({ evidence: e, read }): IrsaCheckOutcome {
    const facts = read('facts');
    // `role` passed, so the role exists.
    const role = read('role')!;
    const sessionTags = !read('associations')?.disableSessionTags;
    const statement = buildPodIdentityTrustStatement({
      partition: facts.partition,
      accountId: facts.accountId,
      region: facts.region,
      clusterName: e.eksClusterName,
      namespace: e.namespace,
      serviceAccount: e.serviceAccountName,
    });
    // Without session tags EKS sends no aws:RequestTag to pin.
    if (!sessionTags) {
      statement.Condition = Object.fromEntries(
        Object.entries(statement.Condition ?? {}).map(([operator, block]) => [
          operator,
          Object.fromEntries(
            Object.entries(block).filter(
              ([key]) => !key.startsWith('aws:RequestTag/'),
            ),
          ),
        ]),
      );
    }
    const expected = Object.values(statement.Condition ?? {})
      .flatMap(block => Object.entries(block))
      .map(([key, value]): [string, string] => [key, String(value)]);
    const fix = `Use this trust statement: ${JSON.stringify(statement)}`;
    const statements = podIdentityStatements(role.trustPolicy.Statement);
    const evidence = {
      statements: json(statements),
      expected: json(statement),
      sessionTags,
    };
    if (!statements.length) {
      return {
        status: 'fail',
        message: `The trust policy does not trust ${POD_IDENTITY_SERVICE_PRINCIPAL}: EKS Pod Identity cannot assume the role`,
        evidence,
        remediation: fix,
      };
    }
    const reviews = statements.map(s => review(s, expected, sessionTags));
    const best = reviews.reduce((a, b) => (problems(b) < problems(a) ? b : a));
    const details = {
      ...evidence,
      missingActions: best.missingActions,
      mismatched: best.mismatched,
      unpinned: best.unpinned,
    };
    if (best.missingActions.length) {
      const tagOnly =
        best.missingActions.length === 1 &&
        best.missingActions[0] === 'sts:TagSession';
      return {
        status: 'fail',
        message: tagOnly
          ? 'The trust allows sts:AssumeRole but not sts:TagSession: EKS tags every Pod Identity session (unless the association disables session tags), so AssumeRole is denied'
          : `The trust statement for ${POD_IDENTITY_SERVICE_PRINCIPAL} lacks ${best.missingActions.join(' and ')}`,
        evidence: details,
        remediation: fix,
      };
    }
    if (best.tagConditions.length) {
      return {
        status: 'fail',
        message: `The association disables session tags, yet the trust requires ${best.tagConditions.join(', ')}: no request carries them, so AssumeRole is denied`,
        evidence: details,
        remediation: `Remove the aws:RequestTag conditions, or enable session tags on the association (aws eks update-pod-identity-association --no-disable-session-tags). ${fix}`,
      };
    }
    if (best.mismatched.length) {
      return {
        status: 'fail',
        message: `The trust's conditions refuse this workload: ${best.mismatched.map(m => `${m.key} is ${m.found.join(', ')}, EKS sends ${m.expected}`).join('; ')}`,
        evidence: details,
        remediation: fix,
      };
    }
    if (best.unpinned.length) {
      return {
        status: 'warn',
        message: `The trust allows ${POD_IDENTITY_SERVICE_PRINCIPAL} without pinning ${best.unpinned.join(', ')}: any association that names this role there can use it`,
        evidence: details,
        remediation: fix,
      };
    }
    return {
      status: 'pass',
      message: sessionTags
        ? `The trust allows ${POD_IDENTITY_SERVICE_PRINCIPAL} to assume and tag, for ${e.eksClusterName} and ${e.namespace}/${e.serviceAccountName} only`
        : `The trust allows ${POD_IDENTITY_SERVICE_PRINCIPAL} to assume, for ${e.eksClusterName} only (the association disables session tags, so no trust can pin the namespace and ServiceAccount)`,
      evidence: details,
    };
  },
};
