import type { StoredReportResponse } from './report';

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
  defaultMechanism: 'irsa';
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
