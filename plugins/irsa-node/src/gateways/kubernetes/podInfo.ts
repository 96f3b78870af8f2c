import type { V1Container, V1Pod, V1Volume } from '@kubernetes/client-node';
import { STS_AUDIENCE } from '@backstage-irsa/plugin-irsa-common';
import type {
  ContainerInfo,
  PodInfo,
  ProjectedServiceAccountToken,
} from '../types';

/** The volume the IRSA webhook projects its token into. */
const IRSA_TOKEN_VOLUME = 'aws-iam-token';
/** The label EKS puts on every pod it schedules on Fargate. */
const FARGATE_PROFILE_LABEL = 'eks.amazonaws.com/fargate-profile';
const FARGATE_SCHEDULER = 'fargate-scheduler';
const OS_NODE_SELECTOR = 'kubernetes.io/os';
/** Static credentials a pod spec may carry in clear: kept as present, never as values. */
const CREDENTIAL_ENV = new Set(['AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN']);
const REDACTED = '[redacted]';

/** Every projected serviceAccountToken source, with where the containers mount it. */
function projectedTokens(pod: V1Pod): ProjectedServiceAccountToken[] {
  const mounts = (pod.spec?.containers ?? []).flatMap(
    c => c.volumeMounts ?? [],
  );
  return (pod.spec?.volumes ?? []).flatMap(volume =>
    (volume.projected?.sources ?? []).flatMap(source => {
      const token = source.serviceAccountToken;
      if (!token) return [];
      const mountPath = mounts.find(m => m.name === volume.name)?.mountPath;
      return [
        {
          volumeName: volume.name,
          ...(token.audience !== undefined ? { audience: token.audience } : {}),
          path: token.path,
          ...(mountPath !== undefined ? { mountPath } : {}),
        },
      ];
    }),
  );
}

/** The Secrets behind a volume: a Secret volume's, or a projected volume's Secret sources. */
function secretsOf(volume: V1Volume | undefined): string[] {
  if (volume?.secret?.secretName) return [volume.secret.secretName];
  return (volume?.projected?.sources ?? []).flatMap(s =>
    s.secret?.name ? [s.secret.name] : [],
  );
}

/** What a container takes from Secrets: names and mount paths only, never values. */
function containerInfo(
  container: V1Container,
  volumes: Map<string, V1Volume>,
): ContainerInfo {
  const env = container.env ?? [];
  const mounts = container.volumeMounts ?? [];
  return {
    name: container.name,
    env: Object.fromEntries(
      env.map(e => [
        e.name,
        e.value !== undefined && CREDENTIAL_ENV.has(e.name)
          ? REDACTED
          : e.value,
      ]),
    ),
    secretEnv: env.filter(e => e.valueFrom?.secretKeyRef).map(e => e.name),
    envFromSecrets: (container.envFrom ?? []).flatMap(e =>
      e.secretRef?.name ? [e.secretRef.name] : [],
    ),
    volumeMountPaths: mounts.map(m => m.mountPath),
    secretMounts: mounts.flatMap(m =>
      secretsOf(volumes.get(m.name)).map(secretName => ({
        path: m.mountPath,
        secretName,
      })),
    ),
  };
}

/** A pod reduced to what the injection, shadowing and placement checks read. */
export function toPodInfo(pod: V1Pod): PodInfo {
  const spec = pod.spec;
  const labels = { ...pod.metadata?.labels };
  const volumes = new Map((spec?.volumes ?? []).map(v => [v.name, v]));
  const tokens = projectedTokens(pod);
  // The IRSA webhook's token: its volume name, else its default audience.
  const irsaToken =
    tokens.find(t => t.volumeName === IRSA_TOKEN_VOLUME) ??
    tokens.find(t => t.audience === STS_AUDIENCE);
  const os = spec?.os?.name ?? spec?.nodeSelector?.[OS_NODE_SELECTOR];
  return {
    namespace: pod.metadata?.namespace ?? '',
    name: pod.metadata?.name ?? '',
    uid: pod.metadata?.uid ?? '',
    phase: pod.status?.phase ?? 'Unknown',
    creationTimestamp: pod.metadata?.creationTimestamp
      ? new Date(pod.metadata.creationTimestamp).toISOString()
      : '',
    serviceAccountName: spec?.serviceAccountName ?? 'default',
    annotations: { ...pod.metadata?.annotations },
    labels,
    containers: (spec?.containers ?? []).map(c => containerInfo(c, volumes)),
    ...(irsaToken ? { projectedToken: irsaToken } : {}),
    projectedTokens: tokens,
    ...(spec?.nodeName ? { nodeName: spec.nodeName } : {}),
    fargate:
      FARGATE_PROFILE_LABEL in labels ||
      spec?.schedulerName === FARGATE_SCHEDULER,
    ...(os ? { os } : {}),
  };
}
