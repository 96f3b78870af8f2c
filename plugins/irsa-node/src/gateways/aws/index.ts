import type { LoggerService } from '@backstage/backend-plugin-api';
import type { Config } from '@backstage/config';
import {
  DefaultAwsCredentialsManager,
  type AwsCredentialsManager,
} from '@backstage/integration-aws-node';
import type { IamGateway } from '../types';
import { AwsIamGateway } from './AwsIamGateway';

export { AwsIamGateway, type AwsGatewayOptions } from './AwsIamGateway';
export { RequestBudget } from './RequestBudget';
export { toGatewayError } from './errors';

/** The real IamGateway from config (`aws:` for credentials, `irsa.aws` for tuning). */
export function createAwsIamGateway(options: {
  config: Config;
  logger: LoggerService;
  credentialsManager?: AwsCredentialsManager;
}): IamGateway {
  const aws = options.config.getOptionalConfig('irsa.aws');
  const numbers = (key: string) => {
    const c = aws?.getOptionalConfig(key);
    return c
      ? Object.fromEntries(c.keys().map(k => [k, c.getNumber(k)]))
      : undefined;
  };
  const strings = (key: string) => {
    const c = aws?.getOptionalConfig(key);
    return c
      ? Object.fromEntries(c.keys().map(k => [k, c.getString(k)]))
      : undefined;
  };
  return new AwsIamGateway({
    credentialsManager:
      options.credentialsManager ??
      DefaultAwsCredentialsManager.fromConfig(options.config),
    userAgent: aws?.getOptionalString('userAgent'),
    endpoints: strings('endpoints'),
    requestsPerSecond: numbers('requestsPerSecond'),
    timeoutMs: aws?.getOptionalNumber('timeoutMs'),
    maxAttempts: aws?.getOptionalNumber('maxAttempts'),
  });
}
