import { POD_IDENTITY_SERVICE_PRINCIPAL } from '@backstage-irsa/plugin-irsa-common';
import type { LoggerService } from '@backstage/backend-plugin-api';
import type { Config } from '@backstage/config';
import {
  DefaultAwsCredentialsManager,
  type AwsCredentialsManager,
} from '@backstage/integration-aws-node';
import type { AwsGateways } from '../types';
import {
  ACCESS_ANALYZER_API,
  AwsAccessAnalyzerGateway,
} from './AwsAccessAnalyzerGateway';
import {
  AwsApiClient,
  awsApiActions,
  type AwsGatewayOptions,
} from './AwsApiClient';
import { AwsCloudTrailGateway, CLOUDTRAIL_API } from './AwsCloudTrailGateway';
import { AwsEksAuthGateway, EKS_AUTH_API } from './AwsEksAuthGateway';
import { AwsEksGateway, EKS_API } from './AwsEksGateway';
import { AwsIamGateway, IAM_API } from './AwsIamGateway';
import { AwsNetworkGateway, EC2_API } from './AwsNetworkGateway';
import { AwsStsGateway, STS_API } from './AwsStsGateway';
import { RequestBudget } from './RequestBudget';

export {
  AwsAccessAnalyzerGateway,
  ACCESS_ANALYZER_API,
} from './AwsAccessAnalyzerGateway';
export {
  AwsApiClient,
  type AwsApiName,
  type AwsGatewayOptions,
} from './AwsApiClient';
export { AwsCloudTrailGateway, CLOUDTRAIL_API } from './AwsCloudTrailGateway';
export { AwsEksAuthGateway, EKS_AUTH_API } from './AwsEksAuthGateway';
export { AwsEksGateway, EKS_API } from './AwsEksGateway';
export {
  AssumeRoleForPodIdentityCommand,
  EksAuthClient,
  type AssumeRoleForPodIdentityCommandInput,
  type AssumeRoleForPodIdentityCommandOutput,
} from './EksAuthClient';
export { AwsIamGateway, IAM_API } from './AwsIamGateway';
export { AwsNetworkGateway, EC2_API } from './AwsNetworkGateway';
export { AwsStsGateway, STS_API } from './AwsStsGateway';
export { RequestBudget } from './RequestBudget';
export { toGatewayError } from './errors';

/**
 * Every AWS action the gateways can send that needs a permission: what the
 * README's IAM policy for Backstage's identity grants, exactly.
 */
export const AWS_SIGNED_ACTIONS: readonly string[] = [
  IAM_API,
  EKS_API,
  EKS_AUTH_API,
  EC2_API,
  CLOUDTRAIL_API,
  ACCESS_ANALYZER_API,
].flatMap(awsApiActions);

/**
 * A permission AWS checks on Backstage's identity inside another call, not
 * an action the gateways send for it: EKS asks for `iam:PassRole` on the
 * role a Pod Identity association names, and for `eks:TagResource` on an
 * association created with tags.
 */
export interface ImpliedAwsPermission {
  action: string;
  /** The gateway actions that need it. */
  checkedBy: readonly string[];
  /** For `iam:PassRole`: the `iam:PassedToService` the grant is limited to. */
  passedToService?: string;
}

/** Every {@link ImpliedAwsPermission}: the README's policy grants these too, scoped. */
export const AWS_IMPLIED_PERMISSIONS: readonly ImpliedAwsPermission[] = [
  {
    action: 'iam:PassRole',
    checkedBy: [
      'eks:CreatePodIdentityAssociation',
      'eks:UpdatePodIdentityAssociation',
    ],
    passedToService: POD_IDENTITY_SERVICE_PRINCIPAL,
  },
  // Tag on create: the service authorization reference lists eks:TagResource
  // among the actions CreatePodIdentityAssociation needs when it carries tags.
  {
    action: 'eks:TagResource',
    checkedBy: ['eks:CreatePodIdentityAssociation'],
  },
];

/** AWS actions the gateways send unsigned: they need no permission. */
export const AWS_UNSIGNED_ACTIONS: readonly string[] = awsApiActions(STS_API);

/** Every real AWS gateway over one set of options (one request budget for all). */
export function createAwsGatewaysFromOptions(
  options: AwsGatewayOptions,
): AwsGateways {
  const shared = { ...options, budget: options.budget ?? new RequestBudget() };
  return {
    iam: new AwsIamGateway(new AwsApiClient(IAM_API, shared)),
    sts: new AwsStsGateway(new AwsApiClient(STS_API, shared)),
    eks: new AwsEksGateway(new AwsApiClient(EKS_API, shared)),
    eksAuth: new AwsEksAuthGateway(new AwsApiClient(EKS_AUTH_API, shared)),
    network: new AwsNetworkGateway(new AwsApiClient(EC2_API, shared)),
    cloudTrail: new AwsCloudTrailGateway(
      new AwsApiClient(CLOUDTRAIL_API, shared),
    ),
    policyValidation: new AwsAccessAnalyzerGateway(
      new AwsApiClient(ACCESS_ANALYZER_API, shared),
    ),
  };
}

/** The real AWS gateways from config (`aws:` for credentials, `irsa.aws` for tuning). */
export function createAwsGateways(options: {
  config: Config;
  logger: LoggerService;
  credentialsManager?: AwsCredentialsManager;
}): AwsGateways {
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
  return createAwsGatewaysFromOptions({
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
