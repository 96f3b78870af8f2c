import type { IdentityMechanism } from './podIdentity';
import type { OverallStatus, StoredReportResponse } from './report';

/*
 * Bodies of the irsa backend's portal routes other than the report itself,
 * shared by the backend and the frontend's API client.
 */

/** One configured cluster, as `GET /v1/clusters` lists it. */
export interface ClusterSummary {
  /** The name annotations and templates use (`irsa.clusters[].name`). */
  name: string;
  accountId: string;
  region: string;
  /** How a new component on this cluster gets its role. */
  defaultMechanism: IdentityMechanism;
}

/** Body of `GET /v1/clusters`. */
export interface ClustersResponse {
  items: ClusterSummary[];
}

/**
 * Body of `GET /v1/clusters/:cluster/namespaces/:namespace/serviceaccounts/:name`:
 * whether a template may provision this ServiceAccount.
 */
export interface ServiceAccountCheckResponse {
  exists: boolean;
  /** The catalog entity the ServiceAccount's `irsa.dev/entity-ref` names. */
  ownedBy?: string;
  /** Labelled `irsa.dev/managed-by: backstage-irsa`. */
  managedByUs: boolean;
  /** Its `eks.amazonaws.com/role-arn` annotation. */
  roleArn?: string;
  /** The platform's namespace rules for the cluster let templates use it. */
  namespaceAllowed: boolean;
  /** Why the namespace is refused, when it is. */
  reason?: string;
}

/** A workload restarted with `kubectl rollout restart` semantics. */
export interface RestartedWorkload {
  kind: string;
  name: string;
  /** The pods of the report that it owns. */
  pods: string[];
  /** ISO 8601: the `kubectl.kubernetes.io/restartedAt` written. */
  restartedAt: string;
}

/** A workload whose restart the cluster refused or failed. */
export interface FailedWorkloadRestart {
  kind: string;
  name: string;
  pods: string[];
  message: string;
}

/** A pod of the report that no restart replaces, and what to do instead. */
export interface SkippedPod {
  pod: string;
  reason: string;
}

/** Body of `POST /v1/entities/:kind/:namespace/:name/restart`. */
export interface WorkloadRestartResponse {
  restarted: RestartedWorkload[];
  failed: FailedWorkloadRestart[];
  skipped: SkippedPod[];
  /** The verification run after the restart, or why it could not run. */
  verification: { report: StoredReportResponse } | { error: string };
}

/** A fleet row's status: a report's overall status, or `none` (never verified). */
export type FleetStatus = OverallStatus | 'none';

/** Every fleet status, in display order. */
export const FLEET_STATUSES: readonly FleetStatus[] = [
  'pass',
  'warn',
  'fail',
  'unknown',
  'none',
];

/** One entity with IRSA, as `GET /v1/entities` lists it. */
export interface FleetEntity {
  entityRef: string;
  title?: string;
  /** The owner as a full entity ref (`group:default/payments`). */
  owner: string;
  cluster: string;
  namespace: string;
  serviceAccount: string;
  /** How the entity gets its role. */
  mechanism: IdentityMechanism;
  status: FleetStatus;
  /** Ids of the checks that did not pass or skip in the newest report. */
  failingChecks: string[];
  /** ISO 8601, absent when never verified. */
  verifiedAt?: string;
  /** Verified longer ago than the schedule interval (or never). */
  stale: boolean;
}

/** Body of `GET /v1/entities`: a page of the fleet and counts per status. */
export interface FleetResponse {
  items: FleetEntity[];
  /** Rows matching every filter, across all pages. */
  totalItems: number;
  /** Rows per status matching every filter but `status`. */
  counts: Record<FleetStatus, number>;
}

/** Something IRSA set up that belongs to nobody. */
export type FleetOrphan =
  | {
      /** A role this project manages whose entity is gone from the catalog. */
      kind: 'role';
      roleArn: string;
      /** The `irsa.dev/entity-ref` tag. */
      entityRef: string;
      cluster: string;
      reason: string;
    }
  | {
      /** An entity whose role no longer exists. */
      kind: 'entity';
      entityRef: string;
      roleArn: string;
      cluster: string;
      reason: string;
    }
  | {
      /** A ServiceAccount annotated with a role that does not exist. */
      kind: 'serviceAccount';
      cluster: string;
      namespace: string;
      name: string;
      roleArn: string;
      /** The entity whose report found it. */
      entityRef: string;
      reason: string;
    }
  | {
      /**
       * An EKS Pod Identity association this project manages whose entity
       * is gone from the catalog.
       */
      kind: 'association';
      associationId: string;
      cluster: string;
      namespace: string;
      serviceAccount: string;
      /** The role the association hands to the ServiceAccount's pods. */
      roleArn: string;
      /** The `irsa.dev/entity-ref` tag. */
      entityRef: string;
      reason: string;
    };

/** Body of `GET /v1/orphans`. */
export interface OrphansResponse {
  items: FleetOrphan[];
  /**
   * Sources that could not be read (an account's IAM roles, a cluster's
   * associations), so the list may be short.
   */
  errors: string[];
}
