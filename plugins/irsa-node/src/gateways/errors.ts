import { CustomErrorBase } from '@backstage/errors';

/** The kinds of failure a gateway reports; callers branch on these, never on SDK classes. */
export type GatewayErrorKind =
  | 'not-found'
  | 'already-exists'
  | 'access-denied'
  | 'throttled'
  | 'limit-exceeded'
  | 'malformed-policy'
  | 'invalid-token'
  | 'conflict'
  | 'invalid-input'
  | 'unavailable';

/**
 * A failed call to AWS or Kubernetes. The message never carries credentials
 * or tokens; `requestId` is the AWS request id (or the Kubernetes audit id)
 * for support tickets.
 */
export class GatewayError extends CustomErrorBase {
  name = 'GatewayError' as const;
  readonly kind: GatewayErrorKind;
  /** `iam:CreateRole`, `k8s:patch serviceaccounts`, ... */
  readonly operation: string;
  readonly requestId?: string;
  /** The provider's error code (`NoSuchEntity`, `Throttling`, HTTP status). */
  readonly code?: string;

  constructor(options: {
    kind: GatewayErrorKind;
    operation: string;
    message: string;
    requestId?: string;
    code?: string;
    cause?: unknown;
  }) {
    super(`${options.operation}: ${options.message}`, options.cause);
    this.kind = options.kind;
    this.operation = options.operation;
    this.requestId = options.requestId;
    this.code = options.code;
  }
}

/** True when `error` is a GatewayError of the given kind. */
export function isGatewayError(
  error: unknown,
  kind?: GatewayErrorKind,
): error is GatewayError {
  return (
    error instanceof GatewayError && (kind === undefined || error.kind === kind)
  );
}
