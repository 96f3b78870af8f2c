import type {
  IdentityMechanism,
  VerificationReport,
  VerificationTrigger,
} from '@backstage-irsa/plugin-irsa-common';
import type { AwsGateways, AwsTarget, ClusterGateway } from '../gateways/types';

/** One configured cluster (`irsa.clusters[]`), resolved. */
export interface IrsaCluster {
  /** Name used in annotations, template parameters and `kubernetes.clusterLocatorMethods`. */
  name: string;
  /** EKS cluster name in AWS (defaults to `name`). */
  eksClusterName: string;
  accountId: string;
  region: string;
  /** AWS partition derived from the region (`aws`, `aws-cn`, `aws-us-gov`). */
  partition: string;
  /**
   * What aws:irsa:create provisions when its input names no mechanism
   * (`irsa.clusters[].defaultMechanism`); absent: IRSA.
   */
  defaultMechanism?: IdentityMechanism;
  /**
   * Namespace patterns (`*` and `?` wildcards) the template may provision in:
   * `allow` (empty: any) and `deny`. The system namespaces are refused unless
   * `allow` names them exactly.
   */
  namespaces?: { allow: string[]; deny: string[] };
  /** Optional overrides when the live lookup should not be used. */
  overrides?: {
    oidcProviderArn?: string;
    vpcId?: string;
    natPublicIps?: string[];
  };
}

/** Resolves configured clusters by name. */
export interface ClusterRegistry {
  list(): IrsaCluster[];
  /** Throws InputError naming `irsa.clusters` when unknown. */
  get(name: string): IrsaCluster;
  /** The only cluster, when exactly one is configured (annotation may omit it). */
  defaultCluster(): IrsaCluster | undefined;
  target(name: string): AwsTarget;
}

/** What the checks and the provisioner need about one cluster, fetched once. */
export interface ClusterFacts {
  cluster: string;
  accountId: string;
  region: string;
  partition: string;
  /** `oidc.eks.REGION.amazonaws.com/id/ID` (no scheme): the condition-key prefix. */
  issuer: string;
  /** The IAM OIDC provider ARN the trust policy must name. */
  oidcProviderArn: string;
  /** False when no IAM OIDC provider exists for the issuer. */
  oidcProviderExists: boolean;
  vpcId: string;
  subnets: Array<{ id: string; cidrBlock?: string; publicIpTag?: string }>;
  /** Public egress IPs (NAT EIPs, else the `panfactum.com/public-ip` subnet tag). */
  natPublicIps: string[];
  natPublicIpSource: 'nat-gateways' | 'subnet-tag' | 'config' | 'none';
  vpcEndpoints: Array<{ id: string; serviceName: string; type: string }>;
  /** ISO 8601 */
  fetchedAt: string;
}

/** Per-cluster facts cache: a TTL, and one fetch for a burst of callers. */
export interface ClusterFactsService {
  get(cluster: string, options?: { refresh?: boolean }): Promise<ClusterFacts>;
}

/** Which ServiceAccount to verify. */
export interface VerifyRequest {
  cluster: string;
  namespace: string;
  serviceAccount: string;
  /** From `irsa.dev/role-arn`; when absent the ServiceAccount's annotation is used. */
  roleArn?: string;
  /**
   * From `irsa.dev/mechanism`: what the entity declares. The verifier
   * decides the mechanism live (`effectiveMechanism`); this only counts
   * when nothing in the cluster says otherwise.
   */
  mechanism?: IdentityMechanism;
  entityRef?: string;
  trigger: VerificationTrigger;
}

/** Options of one verification run. */
export interface VerifyOptions {
  /** Facts already fetched for this run (fleet runs fetch once per cluster). */
  facts?: ClusterFacts;
  /** Keep retrying the credential exchange this long while IAM propagates. */
  waitForPropagationMs?: number;
  signal?: AbortSignal;
  /** Called as each check finishes, for progress narration. */
  onCheck?: (check: VerificationReport['checks'][number]) => void;
}

/** Runs every registered check and builds the report. */
export interface Verifier {
  verify(
    request: VerifyRequest,
    options?: VerifyOptions,
  ): Promise<VerificationReport>;
}

/**
 * The one shared service (consumers build a Verifier or Provisioner over it) both backend sides get from `irsaServiceRef`, so the
 * scaffolder module and the irsa backend plugin share gateways, caches and
 * request budgets (and, on the sandbox package, the same in-memory AWS and
 * cluster).
 */
export interface IrsaService extends AwsGateways {
  readonly mode: 'sandbox' | 'aws';
  readonly clusters: ClusterRegistry;
  readonly kubernetes: ClusterGateway;
  readonly facts: ClusterFactsService;
}
