import { randomUUID } from 'node:crypto';
import {
  POD_IDENTITY_AUDIENCE,
  POD_IDENTITY_SERVICE_PRINCIPAL,
  POD_IDENTITY_SESSION_TAGS,
} from '@backstage-irsa/plugin-irsa-common';
import type {
  AwsTarget,
  EksAuthGateway,
  PodIdentityExchangeResult,
} from '@backstage-irsa/plugin-irsa-node';
import {
  associationFor,
  sandboxError,
  type SandboxCluster,
  type SandboxRole,
  SandboxState,
} from './state';
import { trustAllowsRequest, type TrustPrincipal } from './trust';

const OPERATION = 'eks-auth:AssumeRoleForPodIdentity';

/** The six session tags EKS sets, with their values for this pod. */
function sessionTags(
  cluster: SandboxCluster,
  namespace: string,
  serviceAccount: string,
  pod: { name: string; uid: string },
): Record<string, string> {
  const keys = POD_IDENTITY_SESSION_TAGS;
  return {
    [keys.clusterArn]: cluster.arn,
    [keys.clusterName]: cluster.name,
    [keys.namespace]: namespace,
    [keys.serviceAccount]: serviceAccount,
    [keys.podName]: pod.name,
    [keys.podUid]: pod.uid,
  };
}

/**
 * The EKS Auth API of the sandbox, what the Pod Identity agent calls: a
 * pod-bound token its cluster issued for `pods.eks.amazonaws.com` is
 * exchanged for the role of the ServiceAccount's association, when the
 * role's trust lets the EKS service principal assume and tag the session
 * EKS describes (cluster as source, the six session tags). Like AWS, the
 * API does not depend on the agent: a cluster without it still answers.
 */
export class SandboxEksAuthGateway implements EksAuthGateway {
  constructor(private readonly state: SandboxState) {}

  async assumeRoleForPodIdentity(
    target: AwsTarget,
    clusterName: string,
    token: string,
  ): Promise<PodIdentityExchangeResult> {
    const cluster = this.state
      .clustersIn(target)
      .find(c => c.name === clusterName);
    if (!cluster) {
      throw sandboxError(
        'not-found',
        OPERATION,
        'ResourceNotFoundException',
        `No cluster found for name: ${clusterName}.`,
      );
    }
    const claims = this.state.tokens.verify(token, this.state.now());
    const invalid = (message: string) =>
      sandboxError(
        'invalid-token',
        OPERATION,
        'InvalidTokenException',
        message,
      );
    if ('invalid' in claims) {
      if (claims.invalid.includes('expired')) {
        throw sandboxError(
          'invalid-token',
          OPERATION,
          'ExpiredTokenException',
          claims.invalid,
        );
      }
      throw invalid(claims.invalid);
    }
    if (claims.iss !== `https://${cluster.issuer}`) {
      throw invalid(`the token was not issued by cluster ${cluster.name}`);
    }
    if (!claims.aud.includes(POD_IDENTITY_AUDIENCE)) {
      throw invalid(`the token audience is not ${POD_IDENTITY_AUDIENCE}`);
    }
    const identity = claims['kubernetes.io'];
    if (!identity?.pod) throw invalid('the token is not bound to a pod');
    const { namespace } = identity;
    const serviceAccount = identity.serviceaccount.name;

    const association = associationFor(cluster, namespace, serviceAccount);
    if (!association) {
      throw sandboxError(
        'not-found',
        OPERATION,
        'ResourceNotFoundException',
        `No Pod Identity Association found for service account ${namespace}/${serviceAccount} in cluster ${cluster.name}`,
      );
    }
    const tags = association.disableSessionTags
      ? {}
      : sessionTags(cluster, namespace, serviceAccount, identity.pod);
    const context: Record<string, string[]> = {
      'aws:SourceAccount': [cluster.accountId],
      'aws:SourceArn': [cluster.arn],
      ...Object.fromEntries(
        Object.entries(tags).map(([k, v]) => [`aws:RequestTag/${k}`, [v]]),
      ),
      'aws:TagKeys': Object.keys(tags),
    };
    const first = this.assume(
      association.roleArn,
      { type: 'Service', id: POD_IDENTITY_SERVICE_PRINCIPAL },
      context,
      Object.keys(tags).length > 0,
    );
    // Cross-account: EKS chains from the first role into the target role,
    // passing the external id it made up for the association.
    const role = association.targetRoleArn
      ? this.assume(
          association.targetRoleArn,
          { type: 'AWS', id: association.roleArn },
          {
            ...context,
            'sts:ExternalId': association.externalId
              ? [association.externalId]
              : [],
          },
          Object.keys(tags).length > 0,
        )
      : first;

    const now = this.state.now();
    for (const used of new Set([first, role])) {
      used.info.roleLastUsed = {
        lastUsedDate: now.toISOString(),
        region: target.region,
      };
    }
    const session =
      `eks-${cluster.name}-${identity.pod.name}-${randomUUID()}`.slice(0, 64);
    const accountId = role.info.arn.split(':')[4];
    return {
      assumedRoleArn: `arn:aws:sts::${accountId}:assumed-role/${role.info.name}/${session}`,
      associationId: association.associationId,
      subject: { namespace, serviceAccount },
      audience: POD_IDENTITY_AUDIENCE,
      expiration: new Date(now.getTime() + 3600_000).toISOString(),
    };
  }

  /** The role, when its trust allows this principal to assume it (and tag the session). */
  private assume(
    roleArn: string,
    principal: TrustPrincipal,
    context: Record<string, string[]>,
    tagging: boolean,
  ): SandboxRole {
    const [, , , , accountId, resource] = roleArn.split(':');
    const role = this.state
      .account(accountId)
      .roles.get(resource?.split('/').pop() ?? '');
    const actions = tagging
      ? ['sts:AssumeRole', 'sts:TagSession']
      : ['sts:AssumeRole'];
    if (
      !role ||
      role.info.arn !== roleArn ||
      !actions.every(action =>
        trustAllowsRequest(role.info.trustPolicy, {
          principal,
          action,
          context,
        }),
      )
    ) {
      throw sandboxError(
        'access-denied',
        OPERATION,
        'AccessDeniedException',
        'Unauthorized Exception! EKS does not have permissions to assume the associated role.',
      );
    }
    return role;
  }
}
