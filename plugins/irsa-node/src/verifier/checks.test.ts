import {
  EKS_ROLE_ARN_ANNOTATION,
  buildAllowlistPolicy,
  buildTrustPolicy,
  parseRoleArn,
  type CheckId,
  type CheckStatus,
} from '@backstage-irsa/plugin-irsa-common';
import { GatewayError } from '../gateways/errors';
import type { ClusterFacts } from '../service/types';
import { evaluateBinding } from './binding';
import { runChecks } from './checks';
import type { RoleInfo, ServiceAccountInfo } from '../gateways/types';
import { known, notRead, type Evidence, type Source } from './sources';

const ENTITY = 'component:default/payments-api';
const ISSUER = 'oidc.eks.eu-west-1.amazonaws.com/id/ABC';
const PROVIDER = `arn:aws:iam::111122223333:oidc-provider/${ISSUER}`;
const ROLE = 'irsa-prod-payments-payments-api';
const ROLE_ARN = `arn:aws:iam::111122223333:role/${ROLE}`;
const TOKEN_FILE = '/var/run/secrets/eks.amazonaws.com/serviceaccount/token';

const facts: ClusterFacts = {
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
function healthy(): Evidence {
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

type Change = (e: Evidence) => void;
const valueOf = <T>(source: Source<T>): T => {
  if (!source.ok) throw new Error('the case made this source unreadable');
  return source.value;
};
const role = (e: Evidence): RoleInfo => valueOf(e.role)!;
const account = (e: Evidence): ServiceAccountInfo => valueOf(e.serviceAccount)!;
const rebind = (e: Evidence, tags: Record<string, string>) => {
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
const unreadable = (label: string) =>
  notRead<never>(`${label} failed: unavailable (no usable answer)`);
const subjectCondition = (e: Evidence, operator: string, value: string) => {
  const statement = role(e).trustPolicy.Statement[0];
  const audience = { [`${ISSUER}:aud`]: 'sts.amazonaws.com' };
  const subject = { [`${ISSUER}:sub`]: value };
  statement.Condition =
    operator === 'StringEquals'
      ? { StringEquals: { ...subject, ...audience } }
      : { [operator]: subject, StringEquals: audience };
};

const CASES: Array<[CheckId, CheckStatus, string, Change, string]> = [
  [
    'binding',
    'pass',
    'healthy',
    () => {},
    'Entity, ServiceAccount and role belong together (ServiceAccount payments/payments-api is tied to the role by its irsa.dev/entity-ref annotation)',
  ],
  [
    'binding',
    'fail',
    'role of another entity',
    e => rebind(e, { 'irsa.dev/entity-ref': 'component:default/other' }),
    'Not bound to this entity: the role is tagged irsa.dev/entity-ref for another entity',
  ],
  [
    'binding',
    'warn',
    'not bound, requireBinding off',
    e => {
      rebind(e, {});
      e.requireBinding = false;
    },
    'Not bound to this entity: the role has no irsa.dev/entity-ref tag (irsa.verification.requireBinding is off: the other checks still run)',
  ],
  [
    'binding',
    'unknown',
    'role unreadable',
    e => {
      e.binding = notRead('iam:GetRole did not answer within 10 ms');
    },
    'Could not check: iam:GetRole did not answer within 10 ms',
  ],

  [
    'oidc-provider',
    'pass',
    'healthy',
    () => {},
    `OIDC provider for ${ISSUER} exists and lists sts.amazonaws.com`,
  ],
  [
    'oidc-provider',
    'fail',
    'no provider',
    e => {
      e.provider = known(undefined);
    },
    `No IAM OIDC provider exists for the cluster's issuer ${ISSUER}`,
  ],
  [
    'oidc-provider',
    'fail',
    'audience not listed',
    e => {
      e.audience = 'vault';
    },
    'The OIDC provider does not list the audience vault',
  ],
  [
    'oidc-provider',
    'unknown',
    'facts unreadable',
    e => {
      e.facts = unreadable('cluster facts');
    },
    'Could not check: cluster facts failed: unavailable (no usable answer)',
  ],

  ['role', 'pass', 'healthy', () => {}, `Role ${ROLE} exists`],
  [
    'role',
    'fail',
    'deleted',
    e => {
      e.role = known(undefined);
    },
    `The role ${ROLE} does not exist in account 111122223333`,
  ],
  [
    'role',
    'fail',
    'unknown role',
    e => {
      e.roleArn = undefined;
      e.roleArnSource = 'none';
      e.requireBinding = false;
      rebind(e, {});
    },
    `Role unknown: the entity has no irsa.dev/role-arn, the ServiceAccount no ${EKS_ROLE_ARN_ANNOTATION}, and no role named ${ROLE} exists`,
  ],
  [
    'role',
    'unknown',
    'role unreadable',
    e => {
      e.role = unreadable('iam:GetRole');
    },
    'Could not check: iam:GetRole failed: unavailable (no usable answer)',
  ],
  [
    'role',
    'skipped',
    'not bound',
    e => rebind(e, {}),
    'Not shown: role not bound to this entity',
  ],

  [
    'trust-principal',
    'pass',
    'healthy',
    () => {},
    "The trust policy trusts the cluster's OIDC provider",
  ],
  [
    'trust-principal',
    'fail',
    'other provider',
    e => {
      role(e).trustPolicy.Statement[0].Principal = {
        Federated: 'arn:aws:iam::111122223333:oidc-provider/other',
      };
    },
    "The trust policy trusts arn:aws:iam::111122223333:oidc-provider/other, not this cluster's OIDC provider",
  ],
  [
    'trust-principal',
    'skipped',
    'role deleted',
    e => {
      e.role = known(undefined);
    },
    'Skipped: IAM role did not pass',
  ],

  [
    'trust-subject',
    'pass',
    'healthy',
    () => {},
    'Trusts exactly system:serviceaccount:payments:payments-api',
  ],
  [
    'trust-subject',
    'warn',
    'wildcard',
    e => subjectCondition(e, 'StringLike', 'system:serviceaccount:payments:*'),
    'A wildcard subject (system:serviceaccount:payments:*) also trusts other ServiceAccounts',
  ],
  [
    'trust-subject',
    'fail',
    'other namespace',
    e =>
      subjectCondition(
        e,
        'StringEquals',
        'system:serviceaccount:analytics:payments-api',
      ),
    `The trust policy's ${ISSUER}:sub is system:serviceaccount:analytics:payments-api, not system:serviceaccount:payments:payments-api`,
  ],
  [
    'trust-subject',
    'skipped',
    'principal failed',
    e => {
      role(e).trustPolicy.Statement[0].Principal = { Federated: 'x' };
    },
    'Skipped: Trust principal did not pass',
  ],

  [
    'trust-audience',
    'pass',
    'healthy',
    () => {},
    'Audience is sts.amazonaws.com',
  ],
  [
    'trust-audience',
    'warn',
    'no aud condition',
    e => {
      delete (
        role(e).trustPolicy.Statement[0].Condition!.StringEquals as Record<
          string,
          unknown
        >
      )[`${ISSUER}:aud`];
    },
    `The trust policy does not pin ${ISSUER}:aud to sts.amazonaws.com`,
  ],
  [
    'trust-audience',
    'fail',
    'custom audience',
    e => {
      e.audience = 'vault';
      e.provider = known({
        arn: PROVIDER,
        url: ISSUER,
        clientIds: ['vault'],
        thumbprints: [],
      });
    },
    'The trust policy expects audience sts.amazonaws.com, tokens carry vault',
  ],
  [
    'trust-audience',
    'skipped',
    'principal failed',
    e => {
      role(e).trustPolicy.Statement[0].Principal = { Federated: 'x' };
    },
    'Skipped: Trust principal did not pass',
  ],

  [
    'service-account',
    'pass',
    'healthy',
    () => {},
    'ServiceAccount payments/payments-api is annotated with the role',
  ],
  [
    'service-account',
    'fail',
    'not annotated',
    e => {
      delete account(e).annotations[EKS_ROLE_ARN_ANNOTATION];
    },
    `ServiceAccount payments/payments-api has no ${EKS_ROLE_ARN_ANNOTATION} annotation`,
  ],
  [
    'service-account',
    'fail',
    'typo',
    e => {
      delete account(e).annotations[EKS_ROLE_ARN_ANNOTATION];
      account(e).annotations['eks.amazonaws.com/rolearn'] = ROLE_ARN;
    },
    `The annotation is misspelt as eks.amazonaws.com/rolearn; the webhook only reads ${EKS_ROLE_ARN_ANNOTATION}`,
  ],
  [
    'service-account',
    'fail',
    'missing',
    e => {
      e.serviceAccount = known(undefined);
    },
    'ServiceAccount payments/payments-api does not exist',
  ],
  [
    'service-account',
    'unknown',
    'unreadable',
    e => {
      e.serviceAccount = unreadable('ServiceAccount');
    },
    'Could not check: ServiceAccount failed: unavailable (no usable answer)',
  ],
  [
    'service-account',
    'skipped',
    'not bound',
    e => rebind(e, {}),
    'Not shown: role not bound to this entity',
  ],

  [
    'pod-injection',
    'pass',
    'healthy',
    () => {},
    'All 1 pods have AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE',
  ],
  [
    'pod-injection',
    'fail',
    'started before the annotation',
    e => {
      valueOf(e.pods)[0].containers[0].env = {};
    },
    'Restart needed: payments-api-1 started before the ServiceAccount was annotated and have no (or an old) AWS_ROLE_ARN',
  ],
  [
    'pod-injection',
    'unknown',
    'unreadable',
    e => {
      e.pods = unreadable('pods');
    },
    'Could not check: pods failed: unavailable (no usable answer)',
  ],
  [
    'pod-injection',
    'skipped',
    'ServiceAccount failed',
    e => {
      e.serviceAccount = known(undefined);
    },
    'Skipped: ServiceAccount annotation did not pass',
  ],

  ['permissions', 'pass', 'healthy', () => {}, '1 permissions policy attached'],
  [
    'permissions',
    'warn',
    'admin-equivalent',
    e => {
      valueOf(e.policies)[0].document!.Statement = [
        { Effect: 'Allow', Action: 'iam:PassRole', Resource: '*' },
      ];
    },
    `Grants the guardrails flag: ${ROLE}: Statement[0] allows iam:PassRole ("iam:PassRole") on Resource "*" (every resource), which can escalate privileges`,
  ],
  [
    'permissions',
    'fail',
    'none',
    e => {
      e.policies = known([]);
    },
    'The role has no permissions policy: every AWS call will be AccessDenied',
  ],
  [
    'permissions',
    'unknown',
    'unreadable',
    e => {
      e.policies = unreadable('role policies');
    },
    'Could not check: role policies failed: unavailable (no usable answer)',
  ],
  [
    'permissions',
    'skipped',
    'role deleted',
    e => {
      e.role = known(undefined);
    },
    'Skipped: IAM role did not pass',
  ],

  [
    'allowlist',
    'pass',
    'healthy',
    () => {},
    'Covers the 1 NAT IPs and the VPC',
  ],
  [
    'allowlist',
    'warn',
    'no NAT IPs found',
    e => {
      e.facts = known({
        ...facts,
        natPublicIps: [],
        natPublicIpSource: 'none',
      });
    },
    'No NAT gateway IPs were found for the cluster subnets: the allowlist cannot be compared',
  ],
  [
    'allowlist',
    'fail',
    'misses a NAT IP',
    e => {
      e.facts = known({
        ...facts,
        natPublicIps: ['203.0.113.1', '203.0.113.2'],
      });
    },
    'The allowlist misses 203.0.113.2/32: calls from there are denied',
  ],
  [
    'allowlist',
    'fail',
    'no allowlist',
    e => {
      e.policies = known([valueOf(e.policies)[0]]);
    },
    'No IP allowlist policy is attached: the credentials work from anywhere',
  ],
  [
    'allowlist',
    'unknown',
    'unreadable',
    e => {
      e.policies = unreadable('role policies');
    },
    'Could not check: role policies failed: unavailable (no usable answer)',
  ],
  [
    'allowlist',
    'skipped',
    'not bound',
    e => rebind(e, {}),
    'Not shown: role not bound to this entity',
  ],

  [
    'credential-exchange',
    'pass',
    'healthy',
    () => {},
    `A fresh ServiceAccount token was exchanged for arn:aws:sts::111122223333:assumed-role/${ROLE}/s`,
  ],
  [
    'credential-exchange',
    'fail',
    'refused',
    e => {
      e.exchange = known(
        new GatewayError({
          kind: 'invalid-token',
          operation: 'sts:AssumeRoleWithWebIdentity',
          message: 'raw text',
          code: 'InvalidIdentityToken',
        }),
      );
    },
    'AssumeRoleWithWebIdentity was refused: InvalidIdentityToken',
  ],
  [
    'credential-exchange',
    'unknown',
    'unreadable',
    e => {
      e.exchange = unreadable('TokenRequest');
    },
    'Could not check: TokenRequest failed: unavailable (no usable answer)',
  ],
  [
    'credential-exchange',
    'skipped',
    'trust subject failed',
    e => subjectCondition(e, 'StringEquals', 'system:serviceaccount:x:y'),
    'Skipped: Trust subject did not pass',
  ],

  [
    'cloudtrail',
    'pass',
    'healthy',
    () => {},
    'No failed calls in the last 60 minutes (management events only)',
  ],
  [
    'cloudtrail',
    'warn',
    'failed calls',
    e => {
      e.cloudTrail = known([
        {
          eventId: '1',
          eventName: 'GetObject',
          eventSource: 's3.amazonaws.com',
          eventTime: '2026-11-27T00:00:00.000Z',
          errorCode: 'AccessDenied',
        },
      ]);
    },
    '1 failed call in the last 60 minutes (management events only): GetObject AccessDenied',
  ],
  [
    'cloudtrail',
    'unknown',
    'unreadable',
    e => {
      e.cloudTrail = unreadable('cloudtrail:LookupEvents');
    },
    'Could not check: cloudtrail:LookupEvents failed: unavailable (no usable answer)',
  ],
  [
    'cloudtrail',
    'skipped',
    'role deleted',
    e => {
      e.role = known(undefined);
    },
    'Skipped: IAM role did not pass',
  ],
];

describe('runChecks', () => {
  it.each(CASES)('%s is %s (%s)', (id, status, _case, change, message) => {
    const evidence = healthy();
    change(evidence);
    const result = runChecks(evidence).find(c => c.id === id)!;
    expect({ status: result.status, message: result.message }).toEqual({
      status,
      message,
    });
    // A remediation exactly when something is to be done; evidence exactly
    // when the check ran.
    expect(/\S/.test(result.remediation ?? '')).toBe(
      status === 'fail' || status === 'warn',
    );
    expect(Object.keys(result.evidence).length === 0).toBe(
      status === 'skipped' || status === 'unknown',
    );
  });

  it('covers every check with pass, fail or warn, and unknown or skipped', () => {
    const seen = new Map<CheckId, Set<CheckStatus>>();
    for (const [id, status] of CASES)
      seen.set(id, (seen.get(id) ?? new Set()).add(status));
    for (const [, statuses] of seen) {
      expect(statuses.has('pass')).toBe(true);
      expect(statuses.has('fail') || statuses.has('warn')).toBe(true);
      expect(statuses.has('unknown') || statuses.has('skipped')).toBe(true);
    }
    expect(seen.size).toBe(12);
  });

  it('never renders undefined in a remediation', () => {
    for (const [, , , change] of CASES) {
      const evidence = healthy();
      change(evidence);
      for (const check of runChecks(evidence))
        expect(check.remediation ?? '').not.toContain('undefined');
    }
  });
});
