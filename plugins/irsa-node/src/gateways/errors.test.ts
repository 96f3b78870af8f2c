import { GatewayError, isGatewayError } from './errors';

describe('GatewayError', () => {
  const error = new GatewayError({
    kind: 'not-found',
    operation: 'iam:GetRole',
    message: 'The role with name x cannot be found.',
    requestId: 'req-1',
    code: 'NoSuchEntity',
  });

  it('names the operation in its message and keeps the request id', () => {
    expect(error.message).toBe(
      'iam:GetRole: The role with name x cannot be found.',
    );
    expect(error.name).toBe('GatewayError');
    expect(error.requestId).toBe('req-1');
    expect(error.code).toBe('NoSuchEntity');
  });

  it('is recognised by kind', () => {
    expect(isGatewayError(error)).toBe(true);
    expect(isGatewayError(error, 'not-found')).toBe(true);
    expect(isGatewayError(error, 'throttled')).toBe(false);
    expect(isGatewayError(new Error('x'))).toBe(false);
  });
});
