import {
  EKS_ROLE_ARN_ANNOTATION,
  buildTrustPolicy,
  type CheckId,
} from '@backstage-irsa/plugin-irsa-common';
import { seedAwsManagedPolicies } from './awsManagedPolicies';
import {
  demoRoleArn,
  SANDBOX_ACCOUNT_ID,
  seedDemoRole,
  serviceAccountMetadata,
} from './demoRoles';
import { setPodIdentityAgent } from './podIdentityAgent';
import type { SandboxClusterGateway } from './SandboxClusterGateway';
import type { SandboxEksGateway } from './SandboxEksGateway';
import type { SandboxIamGateway } from './SandboxIamGateway';
import type { SandboxCluster, SandboxState } from './state';

import { seedWiringScenarios } from './wiringScenarios';

export { SANDBOX_ACCOUNT_ID } from './demoRoles';

/** A seeded workload and the check it was built to break (null: healthy). */
export interface SandboxScenario {
  id: string;
  cluster: string;
  namespace: string;
  serviceAccount: string;
  roleArn: string;
  /** The demo catalog entity (examples/entities.yaml) that owns the role and ServiceAccount. */
  entityRef: string;
  builtToFail: CheckId | null;
  description: string;
}

const scenario = (
  id: string,
  cluster: string,
  namespace: string,
  serviceAccount: string,
  builtToFail: CheckId | null,
  description: string,
): SandboxScenario => ({
  id,
  cluster,
  namespace,
  serviceAccount,
  roleArn: demoRoleArn(cluster, namespace, serviceAccount),
  entityRef: `component:default/${serviceAccount}`,
  builtToFail,
  description,
});

/** Every seeded workload: one healthy, and one per failure the checks catch. */
export const SANDBOX_SCENARIOS: readonly SandboxScenario[] = [
  scenario(
    'healthy',
    'sandbox',
    'payments',
    'payments-api',
    null,
    'Healthy: every check passes.',
  ),
  scenario(
    'sa-not-annotated',
    'sandbox',
    'orders',
    'orders-worker',
    'service-account',
    'The ServiceAccount was never annotated with the role ARN.',
  ),
  scenario(
    'pods-before-annotation',
    'sandbox',
    'billing',
    'billing-api',
    'pod-injection',
    'The pods were created before the ServiceAccount was annotated (restart needed).',
  ),
  scenario(
    'trust-wrong-namespace',
    'sandbox',
    'reports',
    'reports-job',
    'trust-subject',
    'The trust policy names the analytics namespace in :sub.',
  ),
  scenario(
    'trust-no-audience',
    'sandbox',
    'search',
    'search-indexer',
    'trust-audience',
    'The trust policy has no :aud condition.',
  ),
  scenario(
    'allowlist-missing-nat',
    'sandbox',
    'media',
    'media-uploader',
    'allowlist',
    'The IP allowlist misses one of the NAT IPs.',
  ),
  scenario(
    'role-deleted',
    'sandbox',
    'inventory',
    'inventory-sync',
    'role',
    'The role was deleted; the ServiceAccount still points to it.',
  ),
  scenario(
    'oidc-missing',
    'sandbox-legacy',
    'batch',
    'legacy-batch',
    'oidc-provider',
    'The cluster has no IAM OIDC provider.',
  ),
];

function emptyCluster(
  input: Omit<
    SandboxCluster,
    | 'serviceAccounts'
    | 'pods'
    | 'arn'
    | 'associations'
    | 'addons'
    | 'daemonSets'
  >,
): SandboxCluster {
  return {
    ...input,
    arn: `arn:aws:eks:${input.region}:${input.accountId}:cluster/${input.name}`,
    serviceAccounts: new Map(),
    pods: [],
    associations: new Map(),
    addons: new Map(),
    daemonSets: new Map(),
  };
}

function seedClusters(state: SandboxState) {
  const tag = (cluster: string) => ({
    [`kubernetes.io/cluster/${cluster}`]: 'shared',
  });
  const vpc = 'vpc-0a1b2c3d4e5f60718';
  state.clusters.set(
    'sandbox',
    emptyCluster({
      name: 'sandbox',
      accountId: SANDBOX_ACCOUNT_ID,
      region: 'us-east-1',
      issuer:
        'oidc.eks.us-east-1.amazonaws.com/id/5A4D1E0B8C0F4E2B9D7A6C3E1F0B2D4A',
      vpcId: vpc,
      clusterSubnetIds: [
        'subnet-0a00000000000000a',
        'subnet-0b00000000000000b',
      ],
      subnets: [
        {
          id: 'subnet-0a00000000000000a',
          vpcId: vpc,
          cidrBlock: '10.20.1.0/24',
          ipv6CidrBlocks: [],
          availabilityZone: 'us-east-1a',
          tags: tag('sandbox'),
        },
        {
          id: 'subnet-0b00000000000000b',
          vpcId: vpc,
          cidrBlock: '10.20.2.0/24',
          ipv6CidrBlocks: [],
          availabilityZone: 'us-east-1b',
          tags: tag('sandbox'),
        },
        // Not in the cluster's resourcesVpcConfig: found through its tag.
        {
          id: 'subnet-0c00000000000000c',
          vpcId: vpc,
          cidrBlock: '10.20.3.0/24',
          ipv6CidrBlocks: [],
          availabilityZone: 'us-east-1c',
          tags: tag('sandbox'),
        },
        {
          id: 'subnet-0d00000000000000d',
          vpcId: vpc,
          cidrBlock: '10.20.100.0/24',
          ipv6CidrBlocks: [],
          availabilityZone: 'us-east-1a',
          tags: { Name: 'public-a' },
        },
        {
          id: 'subnet-0e00000000000000e',
          vpcId: vpc,
          cidrBlock: '10.20.101.0/24',
          ipv6CidrBlocks: [],
          availabilityZone: 'us-east-1b',
          tags: { Name: 'public-b' },
        },
      ],
      natGateways: [
        {
          id: 'nat-0a0000000000000a1',
          vpcId: vpc,
          subnetId: 'subnet-0d00000000000000d',
          state: 'available',
          publicIps: ['203.0.113.10'],
        },
        {
          id: 'nat-0b0000000000000b2',
          vpcId: vpc,
          subnetId: 'subnet-0e00000000000000e',
          state: 'available',
          publicIps: ['203.0.113.20'],
        },
      ],
      routeTables: [
        {
          id: 'rtb-0a000000000000001',
          vpcId: vpc,
          main: false,
          subnetIds: ['subnet-0a00000000000000a'],
          natGatewayIds: ['nat-0a0000000000000a1'],
        },
        {
          id: 'rtb-0b000000000000002',
          vpcId: vpc,
          main: false,
          subnetIds: ['subnet-0b00000000000000b', 'subnet-0c00000000000000c'],
          natGatewayIds: ['nat-0b0000000000000b2'],
        },
        {
          id: 'rtb-0c000000000000003',
          vpcId: vpc,
          main: true,
          subnetIds: [],
          natGatewayIds: [],
        },
      ],
      vpcEndpoints: [
        {
          id: 'vpce-0a00000000000000a',
          vpcId: vpc,
          serviceName: 'com.amazonaws.us-east-1.s3',
          type: 'Gateway',
          state: 'available',
        },
      ],
    }),
  );
  const legacyVpc = 'vpc-0f1e2d3c4b5a69788';
  state.clusters.set(
    'sandbox-legacy',
    emptyCluster({
      name: 'sandbox-legacy',
      accountId: SANDBOX_ACCOUNT_ID,
      region: 'us-west-2',
      issuer:
        'oidc.eks.us-west-2.amazonaws.com/id/0C1D2E3F405162738495A6B7C8D9E0F1',
      vpcId: legacyVpc,
      clusterSubnetIds: ['subnet-0f00000000000000f'],
      subnets: [
        {
          id: 'subnet-0f00000000000000f',
          vpcId: legacyVpc,
          cidrBlock: '10.30.1.0/24',
          ipv6CidrBlocks: [],
          availabilityZone: 'us-west-2a',
          tags: tag('sandbox-legacy'),
        },
        {
          id: 'subnet-0f10000000000000f',
          vpcId: legacyVpc,
          cidrBlock: '10.30.100.0/24',
          ipv6CidrBlocks: [],
          availabilityZone: 'us-west-2a',
          tags: { Name: 'public' },
        },
      ],
      natGateways: [
        {
          id: 'nat-0f0000000000000f1',
          vpcId: legacyVpc,
          subnetId: 'subnet-0f10000000000000f',
          state: 'available',
          publicIps: ['198.51.100.7'],
        },
      ],
      routeTables: [
        {
          id: 'rtb-0f000000000000001',
          vpcId: legacyVpc,
          main: true,
          subnetIds: ['subnet-0f00000000000000f'],
          natGatewayIds: ['nat-0f0000000000000f1'],
        },
      ],
      vpcEndpoints: [],
    }),
  );
  // Only the first cluster runs the Pod Identity agent add-on.
  setPodIdentityAgent(state.clusters.get('sandbox')!, {});
  // Only the first cluster's issuer is registered with IAM.
  const issuer = state.clusters.get('sandbox')!.issuer;
  state
    .account(SANDBOX_ACCOUNT_ID)
    .oidcProviders.set(
      `arn:aws:iam::${SANDBOX_ACCOUNT_ID}:oidc-provider/${issuer}`,
      {
        arn: `arn:aws:iam::${SANDBOX_ACCOUNT_ID}:oidc-provider/${issuer}`,
        url: issuer,
        clientIds: ['sts.amazonaws.com'],
        thumbprints: ['9e99a48a9960b14926bb7f3b02e22da2b0ab7280'],
      },
    );
}

/**
 * Seeds clusters, the OIDC provider, the Pod Identity agent, AWS-managed
 * policies, the scenarios and then the wiring scenarios.
 */
export async function seedSandbox(
  state: SandboxState,
  gateways: {
    iam: SandboxIamGateway;
    eks: SandboxEksGateway;
    kubernetes: SandboxClusterGateway;
  },
) {
  const { iam, kubernetes } = gateways;
  seedClusters(state);
  seedAwsManagedPolicies(state);
  for (const s of SANDBOX_SCENARIOS) {
    const cluster = state.clusters.get(s.cluster)!;
    const providerArn = `arn:aws:iam::${SANDBOX_ACCOUNT_ID}:oidc-provider/${cluster.issuer}`;
    const trust = buildTrustPolicy({
      oidcProviderArn: providerArn,
      issuer: cluster.issuer,
      namespace: s.id === 'trust-wrong-namespace' ? 'analytics' : s.namespace,
      serviceAccount: s.serviceAccount,
    }).document;
    if (s.id === 'trust-no-audience') {
      delete (
        trust.Statement[0].Condition!.StringEquals as Record<string, unknown>
      )[`${cluster.issuer}:aud`];
    }
    if (s.id !== 'role-deleted') {
      const natIps = cluster.natGateways.flatMap(n => n.publicIps);
      await seedDemoRole(iam, cluster, s, {
        trustPolicy: trust,
        description: `IRSA role for ${s.namespace}/${s.serviceAccount} on ${s.cluster}`,
        natIps: s.id === 'allowlist-missing-nat' ? natIps.slice(0, 1) : natIps,
      });
    }
    const annotateFirst =
      s.id !== 'sa-not-annotated' && s.id !== 'pods-before-annotation';
    const metadata = serviceAccountMetadata(s);
    await kubernetes.createServiceAccount(s.cluster, {
      namespace: s.namespace,
      name: s.serviceAccount,
      annotations: {
        ...metadata.annotations,
        ...(annotateFirst ? { [EKS_ROLE_ARN_ANNOTATION]: s.roleArn } : {}),
      },
      labels: metadata.labels,
    });
    for (const suffix of ['7d9f8', 'k2x4q']) {
      kubernetes.createPod(s.cluster, s.namespace, {
        name: `${s.serviceAccount}-6c4b9-${suffix}`,
        serviceAccountName: s.serviceAccount,
      });
    }
    if (s.id === 'pods-before-annotation') {
      await kubernetes.patchServiceAccountAnnotations(
        s.cluster,
        s.namespace,
        s.serviceAccount,
        { [EKS_ROLE_ARN_ANNOTATION]: s.roleArn },
      );
    }
  }
  await seedWiringScenarios(state, gateways);
}
