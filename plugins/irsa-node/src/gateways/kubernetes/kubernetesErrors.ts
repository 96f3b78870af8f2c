import { ApiException } from '@kubernetes/client-node';
import { GatewayError, type GatewayErrorKind } from '../errors';

/** Status messages are short in practice; a longer one is cut, never echoed whole. */
const MAX_MESSAGE_LENGTH = 300;

function kindOf(status: number): GatewayErrorKind {
  if (status === 404) return 'not-found';
  if (status === 409) return 'conflict';
  if (status === 401 || status === 403) return 'access-denied';
  if (status === 422 || status === 400) return 'invalid-input';
  if (status === 429) return 'throttled';
  return 'unavailable';
}

/**
 * An API server or network failure as a GatewayError with a short message:
 * the `message` of the API's Status object (never a raw body or headers), or
 * the HTTP status; for network failures only the error code.
 */
export function toGatewayError(
  error: unknown,
  operation: string,
  cluster: string,
): GatewayError {
  if (error instanceof GatewayError) return error;
  if (error instanceof ApiException) {
    return new GatewayError({
      kind: kindOf(error.code),
      operation,
      code: String(error.code),
      message:
        statusMessage(error.body) ??
        (error.code === 401
          ? "HTTP 401: the API server did not accept Backstage's credentials"
          : `HTTP ${error.code}`),
      requestId: error.headers?.['audit-id'],
    });
  }
  const failure = error as { code?: unknown; name?: unknown } | undefined;
  let reason = 'Error';
  if (typeof failure?.code === 'string') reason = failure.code;
  else if (typeof failure?.name === 'string') reason = failure.name;
  return new GatewayError({
    kind: 'unavailable',
    operation,
    code: reason,
    message: `Kubernetes API of cluster ${cluster} could not be called (${reason})`,
  });
}

/** A `.catch` for reads where a missing object is an answer: not-found becomes undefined. */
export function undefinedIfNotFound(error: unknown): undefined {
  if (error instanceof GatewayError && error.kind === 'not-found')
    return undefined;
  throw error;
}

/** The `message` of a Kubernetes Status object, if the body is one. */
function statusMessage(body: unknown): string | undefined {
  let parsed = body;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body);
    } catch {
      return undefined;
    }
  }
  const status = parsed as { kind?: unknown; message?: unknown } | undefined;
  if (status?.kind !== 'Status' || typeof status.message !== 'string')
    return undefined;
  return status.message.length > MAX_MESSAGE_LENGTH
    ? `${status.message.slice(0, MAX_MESSAGE_LENGTH)}…`
    : status.message;
}
