import type { LoggerService } from '@backstage/backend-plugin-api';
import { setTimeout as sleep } from 'node:timers/promises';
import { GatewayError, isGatewayError } from '../gateways/errors';
import type { AssumedIdentity, AwsTarget } from '../gateways/types';
import type { IrsaService, VerifyOptions } from '../service/types';
import { chain, read, type Source } from './sources';

/** Token lifetime for an exchange: the TokenRequest minimum. */
export const TOKEN_SECONDS = 600;

/**
 * Runs an exchange (whose token and credentials stay in that call).
 * Refusals are results (the check fails); while IAM propagates a new role,
 * refusals are retried until `waitForPropagationMs` has passed.
 */
export async function withPropagation<T>(
  logger: LoggerService,
  roleArn: string,
  options: VerifyOptions,
  exchange: () => Promise<T>,
): Promise<T | GatewayError> {
  const { signal } = options;
  const deadline = Date.now() + (options.waitForPropagationMs ?? 0);
  for (let attempt = 1; ; attempt++) {
    if (signal?.aborted) throw new Error('cancelled');
    try {
      return await exchange();
    } catch (error) {
      const refused =
        isGatewayError(error, 'access-denied') ||
        isGatewayError(error, 'invalid-token');
      if (!refused) throw error;
      if (Date.now() >= deadline || signal?.aborted)
        return error as GatewayError;
      logger.info(
        `role ${roleArn} not assumable yet (attempt ${attempt}); IAM may still be propagating`,
      );
      await sleep(Math.min(5000, 500 * attempt), undefined, { signal }).catch(
        () => undefined,
      );
    }
  }
}

/** What IRSA's exchange acts as. */
export interface WebIdentityExchangeInput {
  target: AwsTarget;
  cluster: string;
  namespace: string;
  serviceAccount: string;
  roleArn: string;
  audience: string;
  timeoutMs: number;
}

/**
 * IRSA's live exchange: TokenRequest for the ServiceAccount, then
 * AssumeRoleWithWebIdentity, each with a deadline.
 */
export async function webIdentityExchange(
  service: IrsaService,
  logger: LoggerService,
  input: WebIdentityExchangeInput,
  options: VerifyOptions,
): Promise<Source<AssumedIdentity | GatewayError>> {
  const { signal } = options;
  const token = await read(
    'TokenRequest',
    input.timeoutMs,
    () =>
      service.kubernetes.requestServiceAccountToken(
        input.cluster,
        input.namespace,
        input.serviceAccount,
        { audience: input.audience, expirationSeconds: TOKEN_SECONDS },
      ),
    signal,
  );
  return chain(token, t =>
    read(
      'sts:AssumeRoleWithWebIdentity',
      input.timeoutMs + (options.waitForPropagationMs ?? 0),
      () =>
        withPropagation(logger, input.roleArn, options, () =>
          service.sts.assumeRoleWithWebIdentity(input.target, {
            roleArn: input.roleArn,
            webIdentityToken: t.token,
            sessionName: `backstage-irsa-verify-${input.serviceAccount}`.slice(
              0,
              64,
            ),
          }),
        ),
      signal,
    ),
  );
}
