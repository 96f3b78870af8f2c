import {
  EKS_AUDIENCE_ANNOTATION,
  EKS_ROLE_ARN_ANNOTATION,
  IRSA_ENV,
  POD_IDENTITY_AUDIENCE,
  POD_IDENTITY_ENV,
  STS_AUDIENCE,
} from '@backstage-irsa/plugin-irsa-common';
import type {
  ContainerInfo,
  PodInfo,
  ServiceAccountInfo,
} from '@backstage-irsa/plugin-irsa-node';

/** An env variable whose value comes from a Secret (`valueFrom.secretKeyRef`). */
export interface SandboxSecretKeyRef {
  secretName: string;
  key: string;
}

/** The workload that controls a sandbox pod. */
export interface SandboxPodOwner {
  kind: 'Deployment' | 'StatefulSet' | 'DaemonSet' | 'Job';
  name: string;
}

/**
 * A pod the sandbox starts: one container `app` with what its manifest
 * sets; the webhook adds the AWS wiring at creation.
 */
export interface SandboxPodSpec {
  name: string;
  serviceAccountName: string;
  /**
   * Default: a Deployment named after the ServiceAccount (its pods are
   * owned through a ReplicaSet `<deployment>-<hash>`). `null`: a bare pod.
   */
  owner?: SandboxPodOwner | null;
  /** The container's own env: a literal value or a Secret key (static AWS keys shadow the injected role). */
  env?: Record<string, string | SandboxSecretKeyRef>;
  /** Secrets whose every key becomes an env variable (`envFrom[].secretRef`). */
  envFromSecrets?: string[];
  /** Secret volumes mounted into the container (a Secret at `/root/.aws` shadows the role too). */
  secretMounts?: Array<{ path: string; secretName: string }>;
  /** Pod labels; {@link FARGATE_PROFILE_LABEL} puts the pod on Fargate. */
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** `spec.os.name` (`linux`, `windows`); unspecified when absent. */
  os?: string;
  nodeName?: string;
}

/** The label the Fargate scheduler puts on its pods. */
export const FARGATE_PROFILE_LABEL = 'eks.amazonaws.com/fargate-profile';

/** Where the IRSA webhook mounts the projected token. */
export const WEB_IDENTITY_TOKEN_FILE =
  '/var/run/secrets/eks.amazonaws.com/serviceaccount/token';
/** Where EKS mounts the Pod Identity token. */
export const POD_IDENTITY_TOKEN_FILE =
  '/var/run/secrets/pods.eks.amazonaws.com/serviceaccount/eks-pod-identity-token';
/** The Pod Identity agent's credentials endpoint on every node. */
export const POD_IDENTITY_CREDENTIALS_URI =
  'http://169.254.170.23/v1/credentials';

const dirname = (file: string) => file.slice(0, file.lastIndexOf('/'));

/** What a pod's ServiceAccount carries when the pod is created. */
export interface WebhookInput {
  region: string;
  account?: ServiceAccountInfo;
  /** A Pod Identity association exists for the ServiceAccount now. */
  associated: boolean;
}

/**
 * The pod as the API server stores it after EKS's pod identity webhook ran:
 * the Pod Identity wiring when the ServiceAccount has an association
 * (except on Fargate and Windows, where Pod Identity does not run), else the
 * IRSA wiring when it is annotated with a role: like the real webhook, it
 * gives container credentials precedence and never injects both. It never
 * overrides a variable the manifest sets itself.
 */
export function admitPod(
  spec: SandboxPodSpec,
  input: WebhookInput,
): Pick<
  PodInfo,
  | 'containers'
  | 'projectedToken'
  | 'projectedTokens'
  | 'labels'
  | 'annotations'
  | 'fargate'
  | 'os'
  | 'nodeName'
> {
  const labels = { ...spec.labels };
  const fargate = FARGATE_PROFILE_LABEL in labels;
  const roleArn = input.account?.annotations[EKS_ROLE_ARN_ANNOTATION];
  const podIdentity = input.associated && !fargate && spec.os !== 'windows';

  const injected: Record<string, string> = {};
  const mounts: string[] = [];
  const tokens: PodInfo['projectedTokens'] = [];
  const region = {
    AWS_STS_REGIONAL_ENDPOINTS: 'regional',
    AWS_REGION: input.region,
    AWS_DEFAULT_REGION: input.region,
  };
  if (roleArn && !podIdentity) {
    Object.assign(injected, {
      [IRSA_ENV.roleArn]: roleArn,
      [IRSA_ENV.tokenFile]: WEB_IDENTITY_TOKEN_FILE,
      ...region,
    });
    mounts.push(dirname(WEB_IDENTITY_TOKEN_FILE));
    tokens.push({
      volumeName: 'aws-iam-token',
      audience:
        input.account?.annotations[EKS_AUDIENCE_ANNOTATION] ?? STS_AUDIENCE,
      path: 'token',
    });
  }
  if (podIdentity) {
    Object.assign(injected, {
      ...region,
      [POD_IDENTITY_ENV.credentialsUri]: POD_IDENTITY_CREDENTIALS_URI,
      [POD_IDENTITY_ENV.tokenFile]: POD_IDENTITY_TOKEN_FILE,
    });
    mounts.push(dirname(POD_IDENTITY_TOKEN_FILE));
    tokens.push({
      volumeName: 'eks-pod-identity-token',
      audience: POD_IDENTITY_AUDIENCE,
      path: 'eks-pod-identity-token',
    });
  }

  const own = Object.entries(spec.env ?? {});
  const container: ContainerInfo = {
    name: 'app',
    env: {
      ...injected,
      ...Object.fromEntries(
        own.map(([name, value]) => [
          name,
          typeof value === 'string' ? value : undefined,
        ]),
      ),
    },
    secretEnv: own.filter(([, v]) => typeof v !== 'string').map(([n]) => n),
    envFromSecrets: [...(spec.envFromSecrets ?? [])],
    volumeMountPaths: [
      ...(spec.secretMounts ?? []).map(m => m.path),
      ...mounts,
    ],
    secretMounts: (spec.secretMounts ?? []).map(m => ({ ...m })),
  };
  return {
    containers: [container],
    // The IRSA webhook's volume; Pod Identity's is only in projectedTokens.
    projectedToken: tokens.find(t => t.volumeName === 'aws-iam-token'),
    projectedTokens: tokens,
    labels,
    annotations: { ...spec.annotations },
    fargate,
    ...(spec.os ? { os: spec.os } : {}),
    ...(spec.nodeName ? { nodeName: spec.nodeName } : {}),
  };
}
