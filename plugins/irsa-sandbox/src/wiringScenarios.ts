import {
  ANNOTATION_IRSA_MIGRATING_TO,
  buildPodIdentityTrustStatement,
  buildTrustPolicy,
  EKS_ROLE_ARN_ANNOTATION,
  type IdentityMechanism,
  type PolicyDocument,
} from '@backstage-irsa/plugin-irsa-common';
import {
  demoRoleArn,
  ownershipTags,
  SANDBOX_ACCOUNT_ID,
  seedDemoRole,
  serviceAccountMetadata,
  type SandboxWorkload,
} from './demoRoles';
import type { SandboxClusterGateway } from './SandboxClusterGateway';
import type { SandboxEksGateway } from './SandboxEksGateway';
import type { SandboxIamGateway } from './SandboxIamGateway';
import type { SandboxCluster, SandboxState } from './state';

/** What a wiring scenario was built to show. */
export type SandboxWiringScenarioId =
  | 'pod-identity-healthy'
  | 'pod-identity-agent-missing'
  | 'migrating-to-pod-identity'
  | 'static-keys-shadow';

/**
 * A seeded workload of how pods get their role: EKS Pod Identity, a
 * migration from IRSA, static keys that shadow the role. Each has a demo
 * catalog entity (examples/entities.yaml) and a role named by
 * `defaultRoleName`.
 */
export interface SandboxWiringScenario extends SandboxWorkload {
  id: SandboxWiringScenarioId;
  roleArn: string;
  /** What the entity declares (`irsa.dev/mechanism`; IRSA when absent). */
  mechanism: IdentityMechanism;
  description: string;
}

const wiring = (
  id: SandboxWiringScenarioId,
  cluster: string,
  namespace: string,
  serviceAccount: string,
  mechanism: IdentityMechanism,
  description: string,
): SandboxWiringScenario => ({
  id,
  cluster,
  namespace,
  serviceAccount,
  roleArn: demoRoleArn(cluster, namespace, serviceAccount),
  entityRef: `component:default/${serviceAccount}`,
  mechanism,
  description,
});

/** The Pod Identity and credential-chain workloads, seeded after `SANDBOX_SCENARIOS`. */
export const SANDBOX_WIRING_SCENARIOS: readonly SandboxWiringScenario[] = [
  wiring(
    'pod-identity-healthy',
    'sandbox',
    'ledger',
    'ledger-api',
    'pod-identity',
    'Healthy on EKS Pod Identity: association, trust, agent and pods all in place.',
  ),
  wiring(
    'pod-identity-agent-missing',
    'sandbox-legacy',
    'archive',
    'archive-exporter',
    'pod-identity',
    'EKS Pod Identity on a cluster without the eks-pod-identity-agent add-on: pods are wired, but nothing serves their credentials.',
  ),
  wiring(
    'migrating-to-pod-identity',
    'sandbox',
    'catalog',
    'catalog-api',
    'pod-identity',
    'Mid-migration from IRSA to EKS Pod Identity: the trust allows both, two pods still run on IRSA and one on Pod Identity.',
  ),
  wiring(
    'static-keys-shadow',
    'sandbox',
    'notifications',
    'notifications-sender',
    'irsa',
    'IRSA is wired, but the container sets AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, which the SDKs use first.',
  ),
];

/** The Secret the shadowed workload takes its secret key from. */
export const STATIC_KEYS_SECRET = 'notifications-aws-keys';

/**
 * The shadowing manifest's env: a literal key id (AWS's documented example
 * key) and the secret key from a Secret.
 */
const STATIC_KEYS_ENV = {
  AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
  AWS_SECRET_ACCESS_KEY: {
    secretName: STATIC_KEYS_SECRET,
    key: 'secret-access-key',
  },
};

/** How long before the seeding the migrating workload was deployed on IRSA. */
const MIGRATION_OLD_PODS_AGE_MS = 2 * 24 * 3600_000;

/** Seeds every wiring scenario's role, association, ServiceAccount and pods. */
export async function seedWiringScenarios(
  state: SandboxState,
  gateways: {
    iam: SandboxIamGateway;
    eks: SandboxEksGateway;
    kubernetes: SandboxClusterGateway;
  },
): Promise<void> {
  const { iam, eks, kubernetes } = gateways;
  for (const s of SANDBOX_WIRING_SCENARIOS) {
    const cluster = state.clusters.get(s.cluster)!;
    const target = { accountId: SANDBOX_ACCOUNT_ID, region: cluster.region };
    const podIdentity: PolicyDocument = {
      Version: '2012-10-17',
      Statement: [
        buildPodIdentityTrustStatement({
          partition: 'aws',
          accountId: SANDBOX_ACCOUNT_ID,
          region: cluster.region,
          clusterName: cluster.name,
          namespace: s.namespace,
          serviceAccount: s.serviceAccount,
        }),
      ],
    };
    const webIdentity = irsaTrust(cluster, s);
    const migrating = s.id === 'migrating-to-pod-identity';
    const startsOnIrsa = s.mechanism === 'irsa' || migrating;
    const startPods = (suffixes: string[]) => {
      for (const suffix of suffixes) {
        kubernetes.createPod(s.cluster, s.namespace, {
          name: `${s.serviceAccount}-6c4b9-${suffix}`,
          serviceAccountName: s.serviceAccount,
          ...(s.id === 'static-keys-shadow' ? { env: STATIC_KEYS_ENV } : {}),
        });
      }
    };
    const associate = () =>
      eks.createPodIdentityAssociation(target, {
        clusterName: cluster.name,
        namespace: s.namespace,
        serviceAccount: s.serviceAccount,
        roleArn: s.roleArn,
        tags: ownershipTags(s),
      });
    const deploy = async () => {
      await seedDemoRole(iam, cluster, s, {
        trustPolicy: startsOnIrsa ? webIdentity : podIdentity,
        description: `${startsOnIrsa ? 'IRSA' : 'EKS Pod Identity'} role for ${s.namespace}/${s.serviceAccount} on ${s.cluster}`,
      });
      const metadata = serviceAccountMetadata(s);
      await kubernetes.createServiceAccount(s.cluster, {
        namespace: s.namespace,
        name: s.serviceAccount,
        annotations: {
          ...metadata.annotations,
          ...(startsOnIrsa ? { [EKS_ROLE_ARN_ANNOTATION]: s.roleArn } : {}),
        },
        labels: metadata.labels,
      });
      if (s.mechanism === 'pod-identity' && !migrating) await associate();
      startPods(['7d9f8', 'k2x4q']);
    };
    if (!migrating) {
      await deploy();
      continue;
    }
    // Deployed on IRSA two days ago. The migration's first step since: the
    // trust allows both, the association exists (it takes precedence over
    // the role annotation, which stays until the last step) and the
    // ServiceAccount says where it is going. The pods started before keep
    // IRSA; the one started since has Pod Identity.
    await state.inThePast(MIGRATION_OLD_PODS_AGE_MS, deploy);
    await iam.updateTrustPolicy(target, s.roleArn.split('/').pop()!, {
      Version: '2012-10-17',
      Statement: [...webIdentity.Statement, ...podIdentity.Statement],
    });
    await associate();
    await kubernetes.patchServiceAccountAnnotations(
      s.cluster,
      s.namespace,
      s.serviceAccount,
      { [ANNOTATION_IRSA_MIGRATING_TO]: 'pod-identity' },
    );
    startPods(['p3m8z']);
  }
}

/** The IRSA trust the template writes for the workload. */
function irsaTrust(cluster: SandboxCluster, w: SandboxWorkload) {
  return buildTrustPolicy({
    oidcProviderArn: `arn:aws:iam::${SANDBOX_ACCOUNT_ID}:oidc-provider/${cluster.issuer}`,
    issuer: cluster.issuer,
    namespace: w.namespace,
    serviceAccount: w.serviceAccount,
  }).document;
}
