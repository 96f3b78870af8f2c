import type {
  AwsTarget,
  EksAuthGateway,
  PodIdentityExchangeResult,
} from '../types';
import { defineAwsApi, type AwsApiClientFor } from './AwsApiClient';
import {
  AssumeRoleForPodIdentityCommand,
  EksAuthClient,
} from './EksAuthClient';

/** The EKS Auth API as this gateway uses it: every command it may send. */
export const EKS_AUTH_API = defineAwsApi({
  name: 'eks-auth',
  // One exchange per verification, on demand: a low default keeps a burst polite.
  requestsPerSecond: 5,
  commands: [AssumeRoleForPodIdentityCommand],
  createClient: config => new EksAuthClient(config),
});

/**
 * EKS Auth: the exchange the Pod Identity agent makes, made by Backstage to
 * prove a ServiceAccount's token gets its association's role. A signed call
 * (`eks-auth:AssumeRoleForPodIdentity` on the cluster). The credentials AWS
 * returns are dropped here: only what they prove leaves the gateway.
 */
export class AwsEksAuthGateway implements EksAuthGateway {
  constructor(private readonly eksAuth: AwsApiClientFor<typeof EKS_AUTH_API>) {}

  async assumeRoleForPodIdentity(
    target: AwsTarget,
    clusterName: string,
    token: string,
  ): Promise<PodIdentityExchangeResult> {
    const out = await this.eksAuth.send(
      target,
      new AssumeRoleForPodIdentityCommand({ clusterName, token }),
    );
    const subject = out.subject;
    const expiration = out.credentials?.expiration;
    return {
      assumedRoleArn: out.assumedRoleUser?.arn ?? '',
      ...(out.podIdentityAssociation?.associationId
        ? { associationId: out.podIdentityAssociation.associationId }
        : {}),
      ...(subject
        ? {
            subject: {
              namespace: subject.namespace,
              serviceAccount: subject.serviceAccount,
            },
          }
        : {}),
      ...(out.audience ? { audience: out.audience } : {}),
      ...(expiration ? { expiration: expiration.toISOString() } : {}),
    };
  }
}
