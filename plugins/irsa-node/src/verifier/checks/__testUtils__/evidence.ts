import {
  EKS_ROLE_ARN_ANNOTATION,
  buildAllowlistPolicy,
  buildTrustPolicy,
  parseRoleArn,
  type CheckId,
  type CheckStatus,
} from '@backstage-irsa/plugin-irsa-common';
import type { RoleInfo, ServiceAccountInfo } from '../../../gateways/types';
import type { ClusterFacts } from '../../../service/types';
import { evaluateBinding } from '../../binding';
import { runChecks } from '../../runChecks';
import { known, notRead, type Evidence, type Source } from '../../sources';
import { builtInChecks } from '..';

/*
 * The evidence the built-in checks' tests start from: a healthy IRSA
 * ServiceAccount, which each case changes in one way.
 */

export const ENTITY = 'component:default/payments-api';
export const ISSUER = 'oidc.eks.eu-west-1.amazonaws.com/id/ABC';
export const PROVIDER = `arn:aws:iam::111122223333:oidc-provider/${ISSUER}`;
export const ROLE = 'irsa-prod-payments-payments-api';
export const ROLE_ARN = `arn:aws:iam::111122223333:role/${ROLE}`;
const TOKEN_FILE = '/var/run/secrets/eks.amazonaws.com/serviceaccount/token';

export const facts: ClusterFacts = {
  cluster: 'prod',
  accountId: '111122223333',
  region: 'eu-west-1',
  partition: 'aws',
  issuer: ISSUER,
  oidcProviderArn: PROVIDER,
  oidcProviderExists: true,
  vpcId: 'vpc-0abc1234',
  subnets: [],
  natPublicIps: ['203.0.113.1'],
  natPublicIpSource: 'nat-gateways',
  vpcEndpoints: [],
  fetchedAt: '2026-11-27T00:00:00.000Z',
};

/** Evidence of a healthy ServiceAccount; each case changes one thing. */
export function healthy(): Evidence {
  const role = {
    arn: ROLE_ARN,
    name: ROLE,
    path: '/',
    roleId: 'AROAEXAMPLE',
    trustPolicy: buildTrustPolicy({
      oidcProviderArn: PROVIDER,
      issuer: ISSUER,
      namespace: 'payments',
      serviceAccount: 'payments-api',
    }).document,
    tags: {
      'irsa.dev/entity-ref': ENTITY,
      'irsa.dev/cluster': 'prod',
      'irsa.dev/service-account': 'payments/payments-api',
    },
    createDate: '2026-11-27T00:00:00.000Z',
    maxSessionDuration: 3600,
  };
  const serviceAccount = {
    namespace: 'payments',
    name: 'payments-api',
    uid: 'uid-1',
    resourceVersion: '1',
    creationTimestamp: '2026-11-27T00:00:00.000Z',
    annotations: {
      [EKS_ROLE_ARN_ANNOTATION]: ROLE_ARN,
      'irsa.dev/entity-ref': ENTITY,
    },
    labels: {},
  };
  return {
    namespace: 'payments',
    serviceAccountName: 'payments-api',
    defaultRoleName: ROLE,
    roleArnSource: 'entity',
    roleArn: ROLE_ARN,
    audience: 'sts.amazonaws.com',
    requireBinding: true,
    binding: known(
      evaluateBinding({
        entityRef: ENTITY,
        cluster: { name: 'prod', accountId: '111122223333', partition: 'aws' },
        namespace: 'payments',
        serviceAccountName: 'payments-api',
        roleArn: { arn: ROLE_ARN, parts: parseRoleArn(ROLE_ARN, 'arn') },
        roleArnSource: 'entity',
        defaultRoleName: ROLE,
        role,
        serviceAccount,
      }),
    ),
    facts: known(facts),
    provider: known({
      arn: PROVIDER,
      url: ISSUER,
      clientIds: ['sts.amazonaws.com'],
      thumbprints: [],
    }),
    role: known(role),
    serviceAccount: known(serviceAccount),
    pods: known([
      {
        namespace: 'payments',
        name: 'payments-api-1',
        uid: 'pod-1',
        phase: 'Running',
        creationTimestamp: '2026-11-27T00:01:00.000Z',
        serviceAccountName: 'payments-api',
        annotations: {},
        containers: [
          {
            name: 'app',
            env: {
              AWS_ROLE_ARN: ROLE_ARN,
              AWS_WEB_IDENTITY_TOKEN_FILE: TOKEN_FILE,
            },
            volumeMountPaths: [],
          },
        ],
      },
    ]),
    policies: known([
      {
        kind: 'managed',
        name: ROLE,
        document: {
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Action: 's3:GetObject',
              Resource: 'arn:aws:s3:::b/*',
            },
          ],
        },
      },
      {
        kind: 'managed',
        name: `${ROLE}-allowlist`,
        document: buildAllowlistPolicy({
          publicCidrs: ['203.0.113.1/32'],
          vpcIds: ['vpc-0abc1234'],
        }).document,
      },
    ]),
    exchange: known({
      assumedRoleArn: `arn:aws:sts::111122223333:assumed-role/${ROLE}/s`,
      assumedRoleId: 'AROAEXAMPLE:s',
      subjectFromWebIdentityToken:
        'system:serviceaccount:payments:payments-api',
      audience: 'sts.amazonaws.com',
    }),
    cloudTrail: known([]),
    cloudTrailLookbackMinutes: 60,
  };
}

export type Change = (e: Evidence) => void;
export const valueOf = <T>(source: Source<T>): T => {
  if (!source.ok) throw new Error('the case made this source unreadable');
  return source.value;
};
export const role = (e: Evidence): RoleInfo => valueOf(e.role)!;
export const account = (e: Evidence): ServiceAccountInfo =>
  valueOf(e.serviceAccount)!;
export const rebind = (e: Evidence, tags: Record<string, string>) => {
  e.binding = known(
    evaluateBinding({
      entityRef: ENTITY,
      cluster: { name: 'prod', accountId: '111122223333', partition: 'aws' },
      namespace: 'payments',
      serviceAccountName: 'payments-api',
      roleArn: { arn: ROLE_ARN, parts: parseRoleArn(ROLE_ARN, 'arn') },
      roleArnSource: 'entity',
      defaultRoleName: ROLE,
      role: { ...role(e), tags },
      serviceAccount: account(e),
    }),
  );
};
export const unreadable = (label: string) =>
  notRead<never>(`${label} failed: unavailable (no usable answer)`);
export const subjectCondition = (
  e: Evidence,
  operator: string,
  value: string,
) => {
  const statement = role(e).trustPolicy.Statement[0];
  const audience = { [`${ISSUER}:aud`]: 'sts.amazonaws.com' };
  const subject = { [`${ISSUER}:sub`]: value };
  statement.Condition =
    operator === 'StringEquals'
      ? { StringEquals: { ...subject, ...audience } }
      : { [operator]: subject, StringEquals: audience };
};

/** One case: the status and message a check gives after one change. */
export type CheckCase = [
  status: CheckStatus,
  name: string,
  change: Change,
  message: string,
];

/**
 * What one case is judged on, from the result a built-in check gives once
 * `change` is made to healthy evidence. Every built-in check runs, so
 * dependencies and the binding gate apply.
 */
export async function caseOutcome(id: CheckId, change: Change) {
  const evidence = healthy();
  change(evidence);
  const results = await runChecks(builtInChecks, evidence);
  const result = results.find(c => c.id === id)!;
  return {
    status: result.status,
    message: result.message,
    hasRemediation: /\S/.test(result.remediation ?? ''),
    hasEvidence: Object.keys(result.evidence).length > 0,
    remediationSaysUndefined: (result.remediation ?? '').includes('undefined'),
  };
}

/**
 * What a case must give: its status and message, a remediation exactly when
 * something is to be done, evidence exactly when the check ran.
 */
export function expectedOutcome(status: CheckStatus, message: string) {
  return {
    status,
    message,
    hasRemediation: status === 'fail' || status === 'warn',
    hasEvidence: status !== 'skipped' && status !== 'unknown',
    remediationSaysUndefined: false,
  };
}

/** The statuses a check's cases cover, for the coverage test. */
export function coverage(cases: CheckCase[]) {
  const statuses = new Set(cases.map(([status]) => status));
  return {
    pass: statuses.has('pass'),
    failOrWarn: statuses.has('fail') || statuses.has('warn'),
    unknownOrSkipped: statuses.has('unknown') || statuses.has('skipped'),
  };
}
