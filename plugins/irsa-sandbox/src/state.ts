import { randomUUID } from 'node:crypto';
import type { PolicyDocument } from '@backstage-irsa/plugin-irsa-common';
import {
  GatewayError,
  type AddonInfo,
  type AwsTarget,
  type CloudTrailEventInfo,
  type DaemonSetInfo,
  type GatewayErrorKind,
  type ManagedPolicyInfo,
  type NatGatewayInfo,
  type OidcProviderInfo,
  type PodIdentityAssociationInfo,
  type PodInfo,
  type RoleInfo,
  type RouteTableInfo,
  type ServiceAccountInfo,
  type ServiceAccountToken,
  type SubnetInfo,
  type VpcEndpointInfo,
} from '@backstage-irsa/plugin-irsa-node';
import { SandboxTokenIssuer } from './tokens';

/** A role and what hangs off it. */
export interface SandboxRole {
  info: RoleInfo;
  attachedPolicyArns: string[];
  inlinePolicies: Map<string, PolicyDocument>;
}

/** A managed policy with its versions (IAM keeps at most five). */
export interface SandboxPolicy {
  info: ManagedPolicyInfo;
  versions: Array<{
    versionId: string;
    document: PolicyDocument;
    createDate: string;
  }>;
  nextVersion: number;
}

/** One AWS account of the sandbox. */
export interface SandboxAccount {
  accountId: string;
  roles: Map<string, SandboxRole>;
  policies: Map<string, SandboxPolicy>;
  oidcProviders: Map<string, OidcProviderInfo>;
  events: Array<CloudTrailEventInfo & { region: string }>;
}

/** The EKS and VPC side of one cluster, and its Kubernetes objects. */
export interface SandboxCluster {
  name: string;
  accountId: string;
  region: string;
  arn: string;
  issuer: string;
  vpcId: string;
  clusterSubnetIds: string[];
  subnets: SubnetInfo[];
  natGateways: NatGatewayInfo[];
  routeTables: RouteTableInfo[];
  vpcEndpoints: VpcEndpointInfo[];
  serviceAccounts: Map<string, ServiceAccountInfo>;
  pods: PodInfo[];
  /** EKS Pod Identity associations, by id. */
  associations: Map<string, PodIdentityAssociationInfo>;
  /** Installed EKS add-ons, by name. */
  addons: Map<string, AddonInfo>;
  /** DaemonSets, by `namespace/name`. */
  daemonSets: Map<string, DaemonSetInfo>;
}

/** Everything the sandbox knows, shared by its IAM and Kubernetes sides. */
export class SandboxState {
  readonly accounts = new Map<string, SandboxAccount>();
  readonly clusters = new Map<string, SandboxCluster>();
  /** AWS-managed policies exist in every account. */
  readonly awsManagedPolicies = new Map<string, SandboxPolicy>();
  readonly tokens = new SandboxTokenIssuer();
  private sequence = 0;
  /** How far in the past objects are being created (seeding only). */
  private pastMs = 0;

  constructor(private readonly clock: () => Date) {}

  now(): Date {
    return new Date(this.clock().getTime() - this.pastMs);
  }

  /**
   * Runs `steps` as if `ms` ago: what they create carries that time. For
   * seeding a history (a workload deployed before a migration started);
   * nothing else may run meanwhile.
   */
  async inThePast<T>(ms: number, steps: () => Promise<T>): Promise<T> {
    this.pastMs = ms;
    try {
      return await steps();
    } finally {
      this.pastMs = 0;
    }
  }

  account(accountId: string): SandboxAccount {
    let account = this.accounts.get(accountId);
    if (!account) {
      account = {
        accountId,
        roles: new Map(),
        policies: new Map(),
        oidcProviders: new Map(),
        events: [],
      };
      this.accounts.set(accountId, account);
    }
    return account;
  }

  /** A unique id with an AWS-like prefix (`AROA...`, `ANPA...`). */
  id(prefix: string): string {
    this.sequence += 1;
    return `${prefix}${this.sequence.toString(36).toUpperCase().padStart(17, '0')}`;
  }

  isoNow(): string {
    return this.now().toISOString();
  }

  /**
   * A ServiceAccount token of the cluster's issuer, with the API server's
   * claims (the pod too when bound), as TokenRequest and the kubelet's
   * projected volumes give them.
   */
  mintServiceAccountToken(
    cluster: SandboxCluster,
    account: ServiceAccountInfo,
    options: {
      audience: string;
      expirationSeconds: number;
      pod?: { name: string; uid: string };
    },
  ): ServiceAccountToken {
    const iat = Math.floor(this.now().getTime() / 1000);
    const exp = iat + options.expirationSeconds;
    return {
      token: this.tokens.mint({
        iss: `https://${cluster.issuer}`,
        sub: `system:serviceaccount:${account.namespace}:${account.name}`,
        aud: [options.audience],
        iat,
        exp,
        'kubernetes.io': {
          namespace: account.namespace,
          serviceaccount: { name: account.name, uid: account.uid },
          ...(options.pod ? { pod: options.pod } : {}),
        },
      }),
      expirationTimestamp: new Date(exp * 1000).toISOString(),
    };
  }

  /** The clusters in this account and region. */
  clustersIn(target: AwsTarget): SandboxCluster[] {
    return [...this.clusters.values()].filter(
      c => c.accountId === target.accountId && c.region === target.region,
    );
  }
}

/** A deep copy, so callers never hold the sandbox's own objects. */
export const clone = <T>(value: T): T => structuredClone(value);

/** A typed gateway error as the real gateways raise it, with a fresh request id. */
export function sandboxError(
  kind: GatewayErrorKind,
  operation: string,
  code: string,
  message: string,
): GatewayError {
  return new GatewayError({
    kind,
    operation,
    code,
    message,
    requestId: randomUUID(),
  });
}

/** The cluster's Pod Identity association for this ServiceAccount, if any (EKS allows one). */
export function associationFor(
  cluster: SandboxCluster,
  namespace: string,
  serviceAccount: string,
): PodIdentityAssociationInfo | undefined {
  return [...cluster.associations.values()].find(
    a => a.namespace === namespace && a.serviceAccount === serviceAccount,
  );
}
