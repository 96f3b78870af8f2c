import {
  buildAllowlistPolicy,
  defaultRoleName,
  type PolicyDocument,
} from '@backstage-irsa/plugin-irsa-common';
import type { SandboxIamGateway } from './SandboxIamGateway';
import type { SandboxCluster } from './state';

/** The sandbox's one AWS account. */
export const SANDBOX_ACCOUNT_ID = '111122223333';

/** The demo entities' owner (examples/entities.yaml). */
export const DEMO_OWNER = 'group:default/guests';

/**
 * The platform tags the demo's aws:irsa:create writes (app-config.yaml
 * irsa.provisioning.tags), which its tag policy (irsa.tagPolicy) requires.
 */
const SANDBOX_PLATFORM_TAGS: Readonly<Record<string, string>> = {
  'cost-center': 'demo',
};

/** Where a seeded workload runs and the catalog entity that owns it. */
export interface SandboxWorkload {
  cluster: string;
  namespace: string;
  serviceAccount: string;
  entityRef: string;
}

/** The default role ARN of a workload (the name aws:irsa:create gives it). */
export function demoRoleArn(
  cluster: string,
  namespace: string,
  serviceAccount: string,
): string {
  return `arn:aws:iam::${SANDBOX_ACCOUNT_ID}:role/${defaultRoleName(cluster, namespace, serviceAccount)}`;
}

/** The tags aws:irsa:create writes on a workload's role, policies and association. */
export function ownershipTags(w: SandboxWorkload): Record<string, string> {
  return {
    ...SANDBOX_PLATFORM_TAGS,
    'irsa.dev/managed-by': 'backstage-irsa',
    'irsa.dev/entity-ref': w.entityRef,
    'irsa.dev/owner': DEMO_OWNER,
    'irsa.dev/cluster': w.cluster,
    'irsa.dev/service-account': `${w.namespace}/${w.serviceAccount}`,
  };
}

/** The ServiceAccount metadata aws:irsa:create writes (the role annotation aside). */
export function serviceAccountMetadata(w: SandboxWorkload) {
  return {
    annotations: {
      'irsa.dev/entity-ref': w.entityRef,
      'irsa.dev/owner': DEMO_OWNER,
    },
    labels: {
      'app.kubernetes.io/name': w.serviceAccount,
      'irsa.dev/managed-by': 'backstage-irsa',
    },
  };
}

/**
 * Creates a workload's role as aws:irsa:create would: the given trust,
 * ownership tags, a permissions policy reading the namespace's demo bucket
 * and the IP allowlist over the cluster's NAT IPs (all of them unless
 * `natIps` says otherwise), both attached.
 */
export async function seedDemoRole(
  iam: SandboxIamGateway,
  cluster: SandboxCluster,
  w: SandboxWorkload,
  options: {
    trustPolicy: PolicyDocument;
    description: string;
    natIps?: string[];
  },
): Promise<void> {
  const target = { accountId: SANDBOX_ACCOUNT_ID, region: cluster.region };
  const roleName = defaultRoleName(w.cluster, w.namespace, w.serviceAccount);
  const tags = ownershipTags(w);
  await iam.createRole(target, {
    name: roleName,
    path: '/',
    trustPolicy: options.trustPolicy,
    description: options.description,
    tags,
  });
  const permissions = await iam.createPolicy(target, {
    name: roleName,
    path: '/',
    document: {
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'ReadDemoBucket',
          Effect: 'Allow',
          Action: ['s3:GetObject', 's3:ListBucket'],
          Resource: [
            `arn:aws:s3:::demo-${w.namespace}`,
            `arn:aws:s3:::demo-${w.namespace}/*`,
          ],
        },
      ],
    },
    tags,
  });
  const natIps =
    options.natIps ?? cluster.natGateways.flatMap(n => n.publicIps);
  const allowlist = await iam.createPolicy(target, {
    name: `${roleName}-allowlist`,
    path: '/',
    document: buildAllowlistPolicy({
      publicCidrs: natIps.map(ip => `${ip}/32`),
      vpcIds: [cluster.vpcId],
    }).document,
    tags,
  });
  await iam.attachRolePolicy(target, roleName, permissions.arn);
  await iam.attachRolePolicy(target, roleName, allowlist.arn);
}
