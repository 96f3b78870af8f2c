import { AuthorizationV1Api, CoreV1Api } from '@kubernetes/client-node';
import { STS_AUDIENCE } from '@backstage-irsa/plugin-irsa-common';
import { GatewayError } from '../errors';
import type {
  AccessCheck,
  AccessReviewResult,
  ServiceAccountToken,
  ServiceAccountTokenRequest,
} from '../types';
import type { ClusterConnection } from './ClusterConnection';

/** One SelfSubjectAccessReview per check: what Backstage's own identity may do. */
export async function reviewAccess(
  connection: ClusterConnection,
  cluster: string,
  checks: AccessCheck[],
  options: { signal?: AbortSignal } = {},
): Promise<AccessReviewResult[]> {
  return Promise.all(
    checks.map(async check => {
      const review = await connection.call(
        cluster,
        'k8s:create selfsubjectaccessreviews',
        (kc, request) =>
          kc.makeApiClient(AuthorizationV1Api).createSelfSubjectAccessReview(
            {
              body: {
                apiVersion: 'authorization.k8s.io/v1',
                kind: 'SelfSubjectAccessReview',
                spec: {
                  resourceAttributes: {
                    namespace: check.namespace,
                    verb: check.verb,
                    resource: check.resource,
                    subresource: check.subresource,
                    group: check.group ?? '',
                  },
                },
              },
            },
            request,
          ),
        { signal: options.signal },
      );
      // `denied` wins over `allowed` when an authorizer says both.
      const allowed =
        review.status?.allowed === true && review.status.denied !== true;
      const reason =
        review.status?.reason || review.status?.evaluationError || undefined;
      return {
        verb: check.verb,
        resource: check.resource,
        ...(check.subresource !== undefined
          ? { subresource: check.subresource }
          : {}),
        namespace: check.namespace,
        ...(check.group !== undefined ? { group: check.group } : {}),
        allowed,
        ...(reason ? { reason } : {}),
      };
    }),
  );
}

/** Why a TokenRequest cannot be sent, naming the field; undefined when it can. */
function tokenRequestRefusal({
  audience,
  boundPod,
}: ServiceAccountTokenRequest): string | undefined {
  if (audience === '')
    return 'audience: must not be empty (omit it for sts.amazonaws.com)';
  if (boundPod && !boundPod.name) return 'boundPod.name: must not be empty';
  // Without a uid the API server binds whichever pod has that name now.
  if (boundPod && !boundPod.uid) return 'boundPod.uid: must not be empty';
  return undefined;
}

/**
 * A TokenRequest for the ServiceAccount (audience sts.amazonaws.com unless
 * given), bound to a pod when asked, as the kubelet binds projected tokens.
 */
export async function requestServiceAccountToken(
  connection: ClusterConnection,
  cluster: string,
  namespace: string,
  serviceAccount: string,
  options: ServiceAccountTokenRequest,
): Promise<ServiceAccountToken> {
  const operation = 'k8s:create serviceaccounts/token';
  const refusal = tokenRequestRefusal(options);
  if (refusal) {
    throw new GatewayError({
      kind: 'invalid-input',
      operation,
      message: refusal,
    });
  }
  const { boundPod } = options;
  const response = await connection.call(
    cluster,
    operation,
    (kc, request) =>
      kc.makeApiClient(CoreV1Api).createNamespacedServiceAccountToken(
        {
          name: serviceAccount,
          namespace,
          body: {
            apiVersion: 'authentication.k8s.io/v1',
            kind: 'TokenRequest',
            spec: {
              audiences: [options.audience ?? STS_AUDIENCE],
              expirationSeconds: options.expirationSeconds,
              // The API server checks the pod runs as this ServiceAccount and still has this uid.
              ...(boundPod
                ? {
                    boundObjectRef: {
                      kind: 'Pod',
                      apiVersion: 'v1',
                      name: boundPod.name,
                      uid: boundPod.uid,
                    },
                  }
                : {}),
            },
          },
        },
        request,
      ),
    { signal: options.signal },
  );
  return {
    token: response.status?.token ?? '',
    expirationTimestamp: response.status?.expirationTimestamp
      ? new Date(response.status.expirationTimestamp).toISOString()
      : '',
  };
}
