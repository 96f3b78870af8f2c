import {
  POD_IDENTITY_AGENT_ADDON,
  POD_IDENTITY_AUDIENCE,
} from '@backstage-irsa/plugin-irsa-common';
import { GatewayError, isGatewayError } from '../gateways/errors';
import type {
  AwsTarget,
  PodIdentityAssociationInfo,
  PodIdentityAssociationSummary,
  PodIdentityExchangeResult,
  PodInfo,
} from '../gateways/types';
import type { IrsaService } from '../service/types';
import { hasPodIdentityEnv, podIdentityUnsupported } from './checks/podWiring';
import {
  chain,
  known,
  orUndefinedIfMissing,
  read,
  type PodIdentityAgent,
  type PodIdentityExchange,
  type Source,
} from './sources';

/*
 * The Pod Identity sources of a verification: the ServiceAccount's
 * association, the cluster's agent and the opt-in live exchange. Every
 * call goes through the service's gateways.
 */

/** The agent's DaemonSet when it is self-managed rather than the add-on. */
const AGENT_DAEMON_SET = {
  namespace: 'kube-system',
  name: POD_IDENTITY_AGENT_ADDON,
};

/** Token lifetime for the exchange: the TokenRequest minimum. */
const TOKEN_SECONDS = 600;

/** Where one verification reads from. */
export interface PodIdentityScope {
  service: IrsaService;
  target: AwsTarget;
  /** The configured cluster name (Kubernetes calls). */
  cluster: string;
  /** The cluster's name in EKS (AWS calls). */
  eksClusterName: string;
  namespace: string;
  serviceAccount: string;
  timeoutMs: number;
  signal?: AbortSignal;
}

/**
 * The ServiceAccount's association: listed (EKS allows one per
 * ServiceAccount), then described for its role and tags.
 */
export function readAssociation(scope: PodIdentityScope): {
  listed: Promise<Source<PodIdentityAssociationSummary | undefined>>;
  detail: Promise<Source<PodIdentityAssociationInfo | undefined>>;
} {
  const { service, target, eksClusterName, namespace, timeoutMs, signal } =
    scope;
  const listed = read(
    'eks:ListPodIdentityAssociations',
    timeoutMs,
    async () =>
      (
        await service.eks.listPodIdentityAssociations(target, eksClusterName, {
          namespace,
          serviceAccount: scope.serviceAccount,
        })
      ).find(
        a =>
          a.namespace === namespace &&
          a.serviceAccount === scope.serviceAccount,
      ),
    signal,
  );
  const detail = listed.then(source =>
    chain(source, summary =>
      summary
        ? read(
            'eks:DescribePodIdentityAssociation',
            timeoutMs,
            () =>
              orUndefinedIfMissing(
                service.eks.describePodIdentityAssociation(
                  target,
                  eksClusterName,
                  summary.associationId,
                ),
              ),
            signal,
          )
        : Promise.resolve(known(undefined)),
    ),
  );
  return { listed, detail };
}

/** The add-on, else the self-managed DaemonSet, else neither. */
export function readAgent(
  scope: PodIdentityScope,
): Promise<Source<PodIdentityAgent>> {
  const { service, target, eksClusterName, cluster } = scope;
  return read(
    'Pod Identity agent',
    scope.timeoutMs,
    async (): Promise<PodIdentityAgent> => {
      try {
        const addon = await service.eks.describeAddon(
          target,
          eksClusterName,
          POD_IDENTITY_AGENT_ADDON,
        );
        return { kind: 'addon', addon };
      } catch (error) {
        if (!isGatewayError(error, 'not-found')) throw error;
      }
      const daemonSet = await service.kubernetes.getDaemonSet(
        cluster,
        AGENT_DAEMON_SET.namespace,
        AGENT_DAEMON_SET.name,
      );
      return daemonSet ? { kind: 'daemon-set', daemonSet } : { kind: 'none' };
    },
    scope.signal,
  );
}

/**
 * The pod a token is bound to: running where the agent runs, preferably
 * one that already has the Pod Identity variables.
 */
export function exchangePod(pods: readonly PodInfo[]): PodInfo | undefined {
  const candidates = pods.filter(
    p => p.phase === 'Running' && !podIdentityUnsupported(p),
  );
  return (
    candidates.find(p => p.containers.every(hasPodIdentityEnv)) ?? candidates[0]
  );
}

/**
 * TokenRequest bound to one running pod (audience pods.eks.amazonaws.com),
 * then eks-auth:AssumeRoleForPodIdentity through `assume`, as the agent
 * does. The token stays in this call; the credentials never leave the
 * gateway. A refusal is a result.
 */
export async function podIdentityExchange(
  scope: PodIdentityScope,
  pods: readonly PodInfo[],
  assume: (token: string) => Promise<PodIdentityExchangeResult | GatewayError>,
  assumeTimeoutMs: number,
): Promise<Source<PodIdentityExchange>> {
  const pod = exchangePod(pods);
  if (!pod) return known({ kind: 'no-running-pod' });
  const token = await read(
    'TokenRequest',
    scope.timeoutMs,
    () =>
      scope.service.kubernetes.requestServiceAccountToken(
        scope.cluster,
        scope.namespace,
        scope.serviceAccount,
        {
          audience: POD_IDENTITY_AUDIENCE,
          expirationSeconds: TOKEN_SECONDS,
          boundPod: { name: pod.name, uid: pod.uid },
        },
      ),
    scope.signal,
  );
  return chain(token, t =>
    read(
      'eks-auth:AssumeRoleForPodIdentity',
      assumeTimeoutMs,
      async (): Promise<PodIdentityExchange> => {
        const outcome = await assume(t.token);
        return outcome instanceof GatewayError
          ? { kind: 'refused', error: outcome, pod: pod.name }
          : { kind: 'exchanged', identity: outcome, pod: pod.name };
      },
      scope.signal,
    ),
  );
}
