import {
  EKS_ROLE_ARN_ANNOTATION,
  buildAllowlistPolicy,
  buildTrustPolicy,
  defaultRoleName,
  type PolicyDocument,
} from '@backstage-irsa/plugin-irsa-common';
import type { SandboxClusterGateway } from './SandboxClusterGateway';
import { SANDBOX_ACCOUNT_ID } from './demoRoles';
import type { SandboxCluster, SandboxState } from './state';

/** A fleet to seed into the sandbox, for fleet tests and benchmarks. */
export interface SandboxFleetShape {
  /** AWS accounts; the first is the sandbox's own. */
  accounts: number;
  /**
   * Clusters `fleet-0`, `fleet-1`, ..., dealt to the accounts in turn; an
   * account's clusters alternate between us-east-1 and eu-west-1.
   */
  clusters: number;
  namespacesPerCluster: number;
  /** Components dealt to the clusters in turn, then to their namespaces. */
  components: number;
  /** Pods per component (default 2). */
  podsPerComponent?: number;
  /** CloudTrail events naming each component's role within the hour before now (default 0). */
  roleEventsPerComponent?: number;
  /** Other CloudTrail management events per account and region within that hour (default 0). */
  otherEventsPerRegion?: number;
}

/** One seeded component, as its catalog entity would name it. */
export interface SandboxFleetComponent {
  entityRef: string;
  cluster: string;
  namespace: string;
  serviceAccount: string;
  roleArn: string;
}

/** A seeded fleet: its components, and its accounts and regions (for CloudTrail). */
export interface SandboxFleet {
  components: SandboxFleetComponent[];
  /** Seeds the fleet: the `seedWith` option of `createSandbox`. */
  seed(state: SandboxState, kubernetes: SandboxClusterGateway): Promise<void>;
}

const REGIONS = ['us-east-1', 'eu-west-1'];
const OWNER = 'group:default/fleet';

/** The fleet's k-th account id (the 0th is the sandbox's own). */
export function sandboxFleetAccountId(k: number): string {
  return String(Number(SANDBOX_ACCOUNT_ID) + k * 1111);
}

function fleetCluster(j: number, accountId: string, region: string) {
  const name = `fleet-${j}`;
  const hex = j.toString(16).padStart(32, '0').toUpperCase();
  const vpcId = `vpc-f${j.toString(16).padStart(16, '0')}`;
  const subnet = (n: number) =>
    `subnet-f${j.toString(16).padStart(14, '0')}${n}`;
  const natIp = `198.18.${Math.floor(j / 250)}.${(j % 250) + 1}`;
  const cluster: SandboxCluster = {
    name,
    accountId,
    region,
    arn: `arn:aws:eks:${region}:${accountId}:cluster/${name}`,
    issuer: `oidc.eks.${region}.amazonaws.com/id/${hex}`,
    vpcId,
    clusterSubnetIds: [subnet(1), subnet(2)],
    subnets: [1, 2, 3].map(n => ({
      id: subnet(n),
      vpcId,
      cidrBlock: `10.${j % 250}.${n}.0/24`,
      ipv6CidrBlocks: [],
      availabilityZone: `${region}${'abc'[n - 1]}`,
      tags:
        n < 3
          ? { [`kubernetes.io/cluster/${name}`]: 'shared' }
          : { Name: 'public' },
    })),
    natGateways: [
      {
        id: `nat-f${j.toString(16).padStart(16, '0')}`,
        vpcId,
        subnetId: subnet(3),
        state: 'available',
        publicIps: [natIp],
      },
    ],
    routeTables: [
      {
        id: `rtb-f${j.toString(16).padStart(16, '0')}`,
        vpcId,
        main: true,
        subnetIds: [],
        natGatewayIds: [`nat-f${j.toString(16).padStart(16, '0')}`],
      },
    ],
    vpcEndpoints: [],
    serviceAccounts: new Map(),
    pods: [],
    associations: new Map(),
    addons: new Map(),
    daemonSets: new Map(),
  };
  return { cluster, natIp };
}

/**
 * A fleet of healthy IRSA components written straight into the sandbox's
 * state (no provisioner, no IAM quotas): per cluster an EKS cluster with its
 * own VPC, NAT gateway and IAM OIDC provider; per component a role with its
 * permissions and allowlist policies, an annotated ServiceAccount and its
 * pods; CloudTrail events within the last hour.
 */
export function sandboxFleet(shape: SandboxFleetShape): SandboxFleet {
  const clusterPlaces = Array.from({ length: shape.clusters }, (_, j) => ({
    accountId: sandboxFleetAccountId(j % shape.accounts),
    region: REGIONS[Math.floor(j / shape.accounts) % REGIONS.length],
  }));
  const components = Array.from({ length: shape.components }, (_, i) => {
    const j = i % shape.clusters;
    const cluster = `fleet-${j}`;
    const namespace = `team-${Math.floor(i / shape.clusters) % shape.namespacesPerCluster}`;
    const serviceAccount = `svc-${i}`;
    const roleName = defaultRoleName(cluster, namespace, serviceAccount);
    return {
      entityRef: `component:default/${serviceAccount}`,
      cluster,
      namespace,
      serviceAccount,
      roleArn: `arn:aws:iam::${clusterPlaces[j].accountId}:role/${roleName}`,
    };
  });

  async function seed(state: SandboxState, kubernetes: SandboxClusterGateway) {
    const now = state.now().getTime();
    // Spread over the hour before now, newest last as CloudTrail records them.
    const events: Array<{
      accountId: string;
      region: string;
      at: number;
      resources: string[];
      name: string;
    }> = [];
    const spread = (n: number, k: number) =>
      now - 3_600_000 + ((k + 0.5) * 3_600_000) / n;

    const natIps = new Map<string, string>();
    clusterPlaces.forEach(({ accountId, region }, j) => {
      const { cluster, natIp } = fleetCluster(j, accountId, region);
      state.clusters.set(cluster.name, cluster);
      natIps.set(cluster.name, natIp);
      const providerArn = `arn:aws:iam::${accountId}:oidc-provider/${cluster.issuer}`;
      state.account(accountId).oidcProviders.set(providerArn, {
        arn: providerArn,
        url: cluster.issuer,
        clientIds: ['sts.amazonaws.com'],
        thumbprints: ['9e99a48a9960b14926bb7f3b02e22da2b0ab7280'],
      });
    });
    const regions = new Set(
      clusterPlaces.map(p => `${p.accountId} ${p.region}`),
    );
    for (const place of regions) {
      const [accountId, region] = place.split(' ');
      const n = shape.otherEventsPerRegion ?? 0;
      for (let k = 0; k < n; k++)
        events.push({
          accountId,
          region,
          at: spread(n, k),
          resources: [`i-${k}`],
          name: 'DescribeInstances',
        });
    }

    for (const c of components) {
      const cluster = state.clusters.get(c.cluster)!;
      const account = state.account(cluster.accountId);
      const roleName = c.roleArn.split('/').pop()!;
      const tags = {
        'irsa.dev/managed-by': 'backstage-irsa',
        'irsa.dev/entity-ref': c.entityRef,
        'irsa.dev/owner': OWNER,
        'irsa.dev/cluster': c.cluster,
        'irsa.dev/service-account': `${c.namespace}/${c.serviceAccount}`,
      };
      const policy = (name: string, document: PolicyDocument) => {
        const arn = `arn:aws:iam::${cluster.accountId}:policy/${name}`;
        account.policies.set(arn, {
          info: {
            arn,
            name,
            path: '/',
            defaultVersionId: 'v1',
            awsManaged: false,
            attachmentCount: 1,
            tags,
          },
          versions: [{ versionId: 'v1', document, createDate: state.isoNow() }],
          nextVersion: 2,
        });
        return arn;
      };
      const attached = [
        policy(roleName, {
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Action: ['s3:GetObject'],
              Resource: [
                `arn:aws:s3:::fleet-${c.namespace}/${c.serviceAccount}/*`,
              ],
            },
          ],
        }),
        policy(
          `${roleName}-allowlist`,
          buildAllowlistPolicy({
            publicCidrs: [`${natIps.get(c.cluster)}/32`],
            vpcIds: [cluster.vpcId],
          }).document,
        ),
      ];
      account.roles.set(roleName, {
        info: {
          arn: c.roleArn,
          name: roleName,
          path: '/',
          roleId: state.id('AROA'),
          trustPolicy: buildTrustPolicy({
            oidcProviderArn: `arn:aws:iam::${cluster.accountId}:oidc-provider/${cluster.issuer}`,
            issuer: cluster.issuer,
            namespace: c.namespace,
            serviceAccount: c.serviceAccount,
          }).document,
          tags,
          createDate: state.isoNow(),
          maxSessionDuration: 3600,
        },
        attachedPolicyArns: attached,
        inlinePolicies: new Map(),
      });
      await kubernetes.createServiceAccount(c.cluster, {
        namespace: c.namespace,
        name: c.serviceAccount,
        annotations: {
          [EKS_ROLE_ARN_ANNOTATION]: c.roleArn,
          'irsa.dev/entity-ref': c.entityRef,
          'irsa.dev/owner': OWNER,
        },
        labels: { 'irsa.dev/managed-by': 'backstage-irsa' },
      });
      for (let p = 0; p < (shape.podsPerComponent ?? 2); p++) {
        kubernetes.createPod(c.cluster, c.namespace, {
          name: `${c.serviceAccount}-${p}`,
          serviceAccountName: c.serviceAccount,
        });
      }
      const n = shape.roleEventsPerComponent ?? 0;
      for (let k = 0; k < n; k++)
        events.push({
          accountId: cluster.accountId,
          region: cluster.region,
          at: spread(n, k),
          resources: [c.roleArn],
          name: 'AssumeRoleWithWebIdentity',
        });
    }

    events.sort((a, b) => a.at - b.at);
    events.forEach((e, k) =>
      state.account(e.accountId).events.push({
        eventId: `fleet-event-${k}`,
        eventName: e.name,
        eventSource:
          e.name === 'DescribeInstances'
            ? 'ec2.amazonaws.com'
            : 'sts.amazonaws.com',
        eventTime: new Date(e.at).toISOString(),
        resources: e.resources,
        region: e.region,
      }),
    );
  }

  return { components, seed };
}
