import type {
  AttachedPolicy,
  GuardrailOptions,
  IdentityMechanism,
} from '@backstage-irsa/plugin-irsa-common';
import {
  GatewayError,
  isGatewayError,
  type GatewayErrorKind,
} from '../gateways/errors';
import type {
  AddonInfo,
  AssumedIdentity,
  CloudTrailEventInfo,
  DaemonSetInfo,
  OidcProviderInfo,
  PodIdentityAssociationInfo,
  PodIdentityExchangeResult,
  PodInfo,
  PodOwner,
  RoleInfo,
  ServiceAccountInfo,
} from '../gateways/types';
import type { ClusterFacts } from '../service/types';
import type { BindingResult } from './binding';

/** A source the checks read: its value, or why it could not be read. */
export type Source<T> = (
  { ok: true; value: T } | { ok: false; reason: string; aborted?: boolean }
) & {
  /** How long reading it took, for the checks' durations. */
  ms: number;
};

/** Where the role ARN came from. */
export type RoleArnSource =
  'entity' | 'service-account' | 'association' | 'default-name' | 'none';

/**
 * How the cluster runs the EKS Pod Identity Agent: the EKS add-on, else a
 * self-managed DaemonSet (kube-system/eks-pod-identity-agent), else neither.
 */
export type PodIdentityAgent =
  | { kind: 'addon'; addon: AddonInfo }
  | { kind: 'daemon-set'; daemonSet: DaemonSetInfo }
  | { kind: 'none' };

/**
 * The live Pod Identity exchange: the role EKS Auth handed out, the error it
 * answered with, or why it was not attempted.
 */
export type PodIdentityExchange =
  | { kind: 'exchanged'; identity: PodIdentityExchangeResult; pod: string }
  | { kind: 'refused'; error: GatewayError; pod: string }
  | { kind: 'disabled' }
  | { kind: 'no-running-pod' };

/** Everything one verification looked at. */
export interface Evidence {
  /** The platform's guardrail settings, for the permissions check's warning. */
  guardrails?: GuardrailOptions;
  namespace: string;
  serviceAccountName: string;
  /** The role name aws:irsa:create would give this ServiceAccount. */
  defaultRoleName: string;
  roleArnSource: RoleArnSource;
  /** A well-formed role ARN (never an unparsed annotation value). */
  roleArn?: string;
  /** Why the given role ARN was refused, when it was. */
  roleArnProblem?: string;
  /** The audience tokens carry: the SA's eks.amazonaws.com/audience, else STS's. */
  audience: string;
  /** The cluster's name in EKS (`irsa.clusters[].eksClusterName`). */
  eksClusterName: string;
  /** The mechanism new pods get, decided live (`effectiveMechanism`). */
  mechanism: IdentityMechanism;
  /** Set during a declared migration: the mechanism pods are leaving. */
  migratingFrom?: IdentityMechanism;
  /** Whether entity, ServiceAccount and role were proven to belong together. */
  binding: Source<BindingResult>;
  /** False: an unproven binding only warns (irsa.verification.requireBinding). */
  requireBinding: boolean;
  facts: Source<ClusterFacts>;
  /** undefined: no provider for the issuer. */
  provider: Source<OidcProviderInfo | undefined>;
  /** undefined: the role does not exist. */
  role: Source<RoleInfo | undefined>;
  /** undefined: the ServiceAccount does not exist. */
  serviceAccount: Source<ServiceAccountInfo | undefined>;
  /** The ServiceAccount's Pod Identity association (EKS allows one); undefined: none. */
  associations: Source<PodIdentityAssociationInfo | undefined>;
  /** The cluster's Pod Identity agent. */
  agent: Source<PodIdentityAgent>;
  pods: Source<PodInfo[]>;
  /**
   * The owners of the pods that need a restart (read only for those), so
   * the remediation can name the workload. Absent when there are none.
   */
  podOwners?: Source<PodOwner[]>;
  policies: Source<AttachedPolicy[]>;
  /** The exchange's outcome: an identity, or the error STS answered with. */
  exchange: Source<AssumedIdentity | GatewayError>;
  /** The live Pod Identity exchange (opt-in: irsa.verification.podIdentityExchange). */
  podIdentityExchange: Source<PodIdentityExchange>;
  cloudTrail: Source<CloudTrailEventInfo[]>;
  cloudTrailLookbackMinutes: number;
}

// What each kind of failure means, in words that carry no provider text.
const KIND_TEXT: Record<GatewayErrorKind, string> = {
  'not-found': 'not found',
  'already-exists': 'already exists',
  'access-denied': "access denied to Backstage's identity",
  throttled: 'throttled (rate exceeded)',
  'limit-exceeded': 'a service limit was exceeded',
  'malformed-policy': 'the policy was refused as malformed',
  'invalid-token': 'the token was refused',
  conflict: 'a concurrent change conflicted',
  'invalid-input': 'the request was refused as invalid',
  unavailable: 'unavailable (no usable answer)',
};

// Provider error codes (NoSuchEntity, AccessDenied, 403) and request ids
// are short identifiers; anything else is dropped rather than shown.
const SAFE_CODE = /^[A-Za-z][A-Za-z0-9.]{0,63}$|^\d{3}$/;
const SAFE_REQUEST_ID = /^[A-Za-z0-9-]{1,64}$/;
const SAFE_OPERATION = /^[a-z0-9-]+:[A-Za-z0-9 /-]{1,64}$/;

/** A provider error code when it is a plain identifier, else undefined. */
export function safeCode(code: string | undefined): string | undefined {
  return code && SAFE_CODE.test(code) ? code : undefined;
}

/**
 * Why a gateway call failed, in a short fixed phrase per kind plus the
 * provider's error code and request id: never the provider's message (raw
 * parser text, other accounts' ARNs), tokens or credentials.
 */
export function describeFailure(error: unknown): string {
  if (!isGatewayError(error)) return 'an unexpected error';
  const operation = SAFE_OPERATION.test(error.operation)
    ? `${error.operation}: `
    : '';
  const details = [
    safeCode(error.code),
    error.requestId && SAFE_REQUEST_ID.test(error.requestId)
      ? `request id ${error.requestId}`
      : undefined,
  ].filter((part): part is string => Boolean(part));
  const suffix = details.length ? ` (${details.join(', ')})` : '';
  return `${operation}${KIND_TEXT[error.kind]}${suffix}`;
}

/** The source every read gives once the run was cancelled. */
export function cancelled<T>(ms = 0): Source<T> {
  return {
    ok: false,
    reason: 'the verification was cancelled',
    aborted: true,
    ms,
  };
}

/**
 * Runs `fn` with a deadline; a late, failed or cancelled call becomes
 * `{ ok: false }`. Once `signal` is aborted, `fn` is not called at all.
 */
export async function read<T>(
  label: string,
  timeoutMs: number,
  fn: () => Promise<T>,
  signal?: AbortSignal,
): Promise<Source<T>> {
  if (signal?.aborted) return cancelled();
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const started = Date.now();
  const ms = () => Date.now() - started;
  const timeout = new Promise<Source<T>>(resolve => {
    timer = setTimeout(
      () =>
        resolve({
          ok: false,
          reason: `${label} did not answer within ${timeoutMs} ms`,
          ms: ms(),
        }),
      timeoutMs,
    );
  });
  const abort = new Promise<Source<T>>(resolve => {
    onAbort = () => resolve(cancelled(ms()));
    signal?.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([
      fn().then(
        (value): Source<T> => ({ ok: true, value, ms: ms() }),
        (error): Source<T> => ({
          ok: false,
          reason: `${label} failed: ${describeFailure(error)}`,
          ms: ms(),
        }),
      ),
      timeout,
      abort,
    ]);
  } finally {
    clearTimeout(timer);
    if (onAbort) signal?.removeEventListener('abort', onAbort);
  }
}

/** Maps a not-found gateway error to `undefined`, rethrowing anything else. */
export function orUndefinedIfMissing<T>(
  promise: Promise<T>,
): Promise<T | undefined> {
  return promise.catch(error => {
    if (isGatewayError(error, 'not-found')) return undefined;
    throw error;
  });
}

/** A source derived from others: unreadable when any input is. */
export function chain<A, T>(
  source: Source<A>,
  fn: (value: A) => Promise<Source<T>>,
): Promise<Source<T>> {
  return source.ok ? fn(source.value) : Promise.resolve(source);
}

/** A source that was not read, and why (the checks reading it say so). */
export function notRead<T>(reason: string): Source<T> {
  return { ok: false, reason, ms: 0 };
}

/** A source known without a call. */
export function known<T>(value: T): Source<T> {
  return { ok: true, value, ms: 0 };
}
