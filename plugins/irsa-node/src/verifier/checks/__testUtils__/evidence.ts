import {
  EKS_ROLE_ARN_ANNOTATION,
  POD_IDENTITY_ENV,
  buildAllowlistPolicy,
  buildPodIdentityTrustPolicy,
  buildTrustPolicy,
  parseRoleArn,
  type CheckId,
  type CheckResult,
  type CheckStatus,
} from '@backstage-irsa/plugin-irsa-common';
import type {
  ContainerInfo,
  PodIdentityAssociationInfo,
  PodInfo,
  RoleInfo,
  ServiceAccountInfo,
} from '../../../gateways/types';
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
export const ASSOCIATION_ID = 'a-0123456789abcdef0';
const POD_IDENTITY_TOKEN_FILE =
  '/var/run/secrets/pods.eks.amazonaws.com/serviceaccount/eks-pod-identity-token';
const CREDENTIALS_URI = 'http://169.254.170.23/v1/credentials';

/** A container with this env and nothing else (no Secrets, no mounts). */
export function container(
  env: Record<string, string | undefined>,
  more: Partial<ContainerInfo> = {},
): ContainerInfo {
  return {
    name: 'app',
    env,
    secretEnv: [],
    envFromSecrets: [],
    volumeMountPaths: [],
    secretMounts: [],
    ...more,
  };
}

/** A running pod of payments/payments-api on a Linux EC2 node. */
export function pod(
  name: string,
  containers: ContainerInfo[],
  more: Partial<PodInfo> = {},
): PodInfo {
  return {
    namespace: 'payments',
    name,
    uid: `uid-${name}`,
    phase: 'Running',
    creationTimestamp: '2026-11-27T00:01:00.000Z',
    serviceAccountName: 'payments-api',
    annotations: {},
    containers,
    projectedTokens: [],
    labels: {},
    nodeName: 'ip-10-0-1-23.eu-west-1.compute.internal',
    fargate: false,
    os: 'linux',
    ...more,
  };
}

/** The env IRSA's webhook injects for the role. */
export const irsaEnv = () => ({
  AWS_ROLE_ARN: ROLE_ARN,
  AWS_WEB_IDENTITY_TOKEN_FILE: TOKEN_FILE,
});

/** The env EKS injects for a Pod Identity association. */
export const podIdentityEnv = () => ({
  [POD_IDENTITY_ENV.credentialsUri]: CREDENTIALS_URI,
  [POD_IDENTITY_ENV.tokenFile]: POD_IDENTITY_TOKEN_FILE,
});

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
    eksClusterName: 'prod',
    mechanism: 'irsa',
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
    associations: known(undefined),
    agent: known({ kind: 'none' }),
    pods: known([pod('payments-api-1', [container(irsaEnv())])]),
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
    podIdentityExchange: known({ kind: 'disabled' }),
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
/** Decides the binding again from the evidence's role, ServiceAccount and association. */
export const rebindWith = (e: Evidence, changedRole: RoleInfo = role(e)) => {
  e.binding = known(
    evaluateBinding({
      entityRef: ENTITY,
      cluster: { name: 'prod', accountId: '111122223333', partition: 'aws' },
      namespace: 'payments',
      serviceAccountName: 'payments-api',
      roleArn: { arn: ROLE_ARN, parts: parseRoleArn(ROLE_ARN, 'arn') },
      roleArnSource: 'entity',
      defaultRoleName: ROLE,
      role: changedRole,
      serviceAccount: account(e),
      association: e.associations.ok ? e.associations.value : undefined,
    }),
  );
};
/** The binding as if the role had these tags (the role itself unchanged). */
export const rebind = (e: Evidence, tags: Record<string, string>) =>
  rebindWith(e, { ...role(e), tags });
/** The association aws:irsa:create writes for payments/payments-api. */
export function association(): PodIdentityAssociationInfo {
  return {
    associationId: ASSOCIATION_ID,
    associationArn: `arn:aws:eks:eu-west-1:111122223333:podidentityassociation/prod/${ASSOCIATION_ID}`,
    clusterName: 'prod',
    namespace: 'payments',
    serviceAccount: 'payments-api',
    roleArn: ROLE_ARN,
    disableSessionTags: false,
    tags: {
      'irsa.dev/managed-by': 'backstage-irsa',
      'irsa.dev/entity-ref': ENTITY,
    },
    createdAt: '2026-11-27T00:00:30.000Z',
  };
}

/**
 * Evidence of a healthy Pod Identity ServiceAccount: the role trusts
 * pods.eks.amazonaws.com for this workload, the association gives its
 * ServiceAccount (no role annotation) the role, the agent add-on is active
 * and the pod got the Pod Identity variables.
 */
export function healthyPodIdentity(): Evidence {
  const e = healthy();
  const r = role(e);
  r.trustPolicy = buildPodIdentityTrustPolicy({
    partition: 'aws',
    accountId: '111122223333',
    region: 'eu-west-1',
    clusterName: 'prod',
    namespace: 'payments',
    serviceAccount: 'payments-api',
  });
  delete account(e).annotations[EKS_ROLE_ARN_ANNOTATION];
  e.mechanism = 'pod-identity';
  e.associations = known(association());
  e.agent = known({
    kind: 'addon',
    addon: {
      name: 'eks-pod-identity-agent',
      status: 'ACTIVE',
      version: 'v1.3.10-eksbuild.2',
    },
  });
  e.pods = known([pod('payments-api-1', [container(podIdentityEnv())])]);
  e.exchange = notRead('not read: not an IRSA workload');
  e.podIdentityExchange = known({
    kind: 'exchanged',
    pod: 'payments-api-1',
    identity: {
      assumedRoleArn: `arn:aws:sts::111122223333:assumed-role/${ROLE}/eks-prod-payments-a1b2c3`,
      associationId: ASSOCIATION_ID,
      subject: { namespace: 'payments', serviceAccount: 'payments-api' },
      audience: 'pods.eks.amazonaws.com',
    },
  });
  rebindWith(e);
  return e;
}

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
 * `change` is made to healthy evidence (`base`: IRSA's unless given). Every
 * built-in check runs, so dependencies and the binding gate apply.
 */
export async function caseOutcome(
  id: CheckId,
  change: Change,
  base: () => Evidence = healthy,
) {
  const result = await checkResult(id, change, base);
  return {
    status: result.status,
    message: result.message,
    hasRemediation: /\S/.test(result.remediation ?? ''),
    hasEvidence: Object.keys(result.evidence).length > 0,
    remediationSaysUndefined: (result.remediation ?? '').includes('undefined'),
  };
}

/** The result a built-in check gives once `change` is made to `base` evidence. */
export async function checkResult(
  id: CheckId,
  change: Change,
  base: () => Evidence = healthy,
): Promise<CheckResult> {
  const evidence = base();
  change(evidence);
  const results = await runChecks(builtInChecks, evidence);
  return results.find(c => c.id === id)!;
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
