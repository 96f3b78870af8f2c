import type {
  AttachedPolicy,
  GuardrailOptions,
} from '@backstage-irsa/plugin-irsa-common';
import { GatewayError, isGatewayError } from '../gateways/errors';
import type {
  AssumedIdentity,
  CloudTrailEventInfo,
  OidcProviderInfo,
  PodInfo,
  RoleInfo,
  ServiceAccountInfo,
} from '../gateways/types';
import type { ClusterFacts } from '../service/types';

/** A source the checks read: its value, or why it could not be read. */
export type Source<T> = (
  { ok: true; value: T } | { ok: false; reason: string }
) & {
  /** How long reading it took, for the checks' durations. */
  ms: number;
};

/** Everything one verification looked at. */
export interface Evidence {
  /** The platform's guardrail settings, for the permissions check's warning. */
  guardrails?: GuardrailOptions;
  namespace: string;
  serviceAccountName: string;
  /** Where the role ARN came from. */
  roleArnSource: 'entity' | 'service-account' | 'none';
  roleArn?: string;
  facts: Source<ClusterFacts>;
  /** undefined: no provider for the issuer. */
  provider: Source<OidcProviderInfo | undefined>;
  /** undefined: the role does not exist. */
  role: Source<RoleInfo | undefined>;
  /** undefined: the ServiceAccount does not exist. */
  serviceAccount: Source<ServiceAccountInfo | undefined>;
  pods: Source<PodInfo[]>;
  policies: Source<AttachedPolicy[]>;
  /** The exchange's outcome: an identity, or the error STS answered with. */
  exchange: Source<AssumedIdentity | GatewayError>;
  cloudTrail: Source<CloudTrailEventInfo[]>;
  cloudTrailLookbackMinutes: number;
}

/** Why a gateway call failed, safe to show (no tokens or credentials). */
export function describeFailure(error: unknown): string {
  if (isGatewayError(error)) {
    return `${error.message}${error.requestId ? ` (request id ${error.requestId})` : ''}`;
  }
  return (error as Error)?.message ?? String(error);
}

/** Runs `fn` with a deadline; a late or failed call becomes `{ ok: false }`. */
export async function read<T>(
  label: string,
  timeoutMs: number,
  fn: () => Promise<T>,
): Promise<Source<T>> {
  let timer: NodeJS.Timeout | undefined;
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
    ]);
  } finally {
    clearTimeout(timer);
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
