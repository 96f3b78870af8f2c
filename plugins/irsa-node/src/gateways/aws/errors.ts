import { GatewayError, type GatewayErrorKind } from '../errors';

// AWS error names (IAM, STS, EC2, EKS, EKS Auth, CloudTrail) by what callers can do about them.
const KINDS: Array<[GatewayErrorKind, RegExp]> = [
  [
    'not-found',
    /^(NoSuchEntity|ResourceNotFound|.*\.NotFound|NotFound)(Exception)?$/,
  ],
  ['already-exists', /^(EntityAlreadyExists|ResourceInUse)(Exception)?$/],
  [
    'access-denied',
    /^(AccessDenied|UnauthorizedOperation|UnauthorizedAccess)(Exception)?$/,
  ],
  [
    'throttled',
    /^(Throttling|RequestLimitExceeded|TooManyRequests|ThrottlingException)(Exception)?$/,
  ],
  ['limit-exceeded', /^(LimitExceeded|ResourceLimitExceeded)(Exception)?$/],
  ['malformed-policy', /^MalformedPolicyDocument(Exception)?$/],
  [
    'invalid-token',
    /^(InvalidIdentityToken|InvalidToken|ExpiredToken|IDPRejectedClaim|IDPCommunicationError)(Exception)?$/,
  ],
  ['conflict', /^(DeleteConflict|ConcurrentModification)(Exception)?$/],
  [
    'invalid-input',
    /^(InvalidInput|ValidationError|Validation|InvalidParameterValue|InvalidParameter|InvalidRequest|BadRequest|PackedPolicyTooLarge)(Exception)?$/,
  ],
];

/**
 * An SDK failure as a GatewayError: the kind, the AWS request id and error
 * code, and AWS's message (which never holds credentials). Timeouts and
 * network failures are `unavailable`.
 */
export function toGatewayError(
  error: unknown,
  operation: string,
): GatewayError {
  if (error instanceof GatewayError) return error;
  const e = error as {
    name?: string;
    message?: string;
    $metadata?: { requestId?: string };
  };
  const code = e?.name ?? 'Error';
  const kind =
    KINDS.find(([, pattern]) => pattern.test(code))?.[0] ?? 'unavailable';
  return new GatewayError({
    kind,
    operation,
    code,
    requestId: e?.$metadata?.requestId,
    message: e?.message || code,
  });
}
