import { POD_IDENTITY_AGENT_ADDON } from '@backstage-irsa/plugin-irsa-common';
import { describeRestart, RESTARTABLE_WORKLOAD_KINDS } from '../workloads';

/** One kind of request the cluster gateway sends, as an RBAC rule grants it. */
export interface KubernetesRequest {
  /** The gateway's operation name, `k8s:<verb> <resource>`. */
  operation: string;
  verb: string;
  /** API group; `''` is the core group. */
  group: string;
  /** Plural resource name, with `/subresource` when there is one. */
  resource: string;
  /** Sent only to this namespace (a Role there); absent: any namespace. */
  namespace?: string;
  /** Only these objects (RBAC `resourceNames`); absent: any name. */
  resourceNames?: string[];
  /** Granted to every authenticated identity by Kubernetes' default roles. */
  grantedByDefault?: boolean;
}

const request = (
  verb: string,
  resource: string,
  extra: Partial<KubernetesRequest> = {},
): KubernetesRequest => ({
  operation: `k8s:${verb} ${resource}`,
  verb,
  group: '',
  resource,
  ...extra,
});

/**
 * Every request the cluster gateway can send: what the README's Kubernetes
 * RBAC for Backstage's identity grants, exactly. The connection refuses an
 * operation missing here, so the list cannot fall behind the code.
 */
export const KUBERNETES_REQUESTS: readonly KubernetesRequest[] = [
  request('get', 'serviceaccounts'),
  request('list', 'serviceaccounts'),
  request('create', 'serviceaccounts'),
  request('patch', 'serviceaccounts'),
  request('delete', 'serviceaccounts'),
  request('create', 'serviceaccounts/token'),
  request('get', 'pods'),
  request('list', 'pods'),
  request('get', 'replicasets', { group: 'apps' }),
  ...RESTARTABLE_WORKLOAD_KINDS.map(kind =>
    request('patch', describeRestart({ kind, name: '' }).resource, {
      group: 'apps',
    }),
  ),
  // The self-managed Pod Identity agent; nothing else in kube-system.
  request('get', 'daemonsets', {
    group: 'apps',
    namespace: 'kube-system',
    resourceNames: [POD_IDENTITY_AGENT_ADDON],
  }),
  request('create', 'selfsubjectaccessreviews', {
    group: 'authorization.k8s.io',
    grantedByDefault: true,
  }),
];

const byOperation = new Map(KUBERNETES_REQUESTS.map(r => [r.operation, r]));

/** The declared request of an operation; throws for one not declared (a defect, not a cluster failure). */
export function declaredKubernetesRequest(
  operation: string,
): KubernetesRequest {
  const declared = byOperation.get(operation);
  if (!declared) {
    throw new Error(
      `${operation}: not in KUBERNETES_REQUESTS, so the README's RBAC does not grant it`,
    );
  }
  return declared;
}
