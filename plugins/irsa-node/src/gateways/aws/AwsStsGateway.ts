import {
  AssumeRoleWithWebIdentityCommand,
  STSClient,
} from '@aws-sdk/client-sts';
import type {
  AssumedIdentity,
  AssumeRoleWithWebIdentityInput,
  AwsTarget,
  StsGateway,
} from '../types';
import { defineAwsApi, type AwsApiClientFor } from './AwsApiClient';

/** The STS API as this gateway uses it: every command it may send. */
export const STS_API = defineAwsApi({
  name: 'sts',
  requestsPerSecond: 20,
  // The web identity token is the only credential; Backstage's own is not sent.
  unsigned: true,
  commands: [AssumeRoleWithWebIdentityCommand],
  createClient: config => new STSClient(config),
});

/** STS on AWS SDK v3: proves a web identity token can assume a role. */
export class AwsStsGateway implements StsGateway {
  constructor(private readonly sts: AwsApiClientFor<typeof STS_API>) {}

  async assumeRoleWithWebIdentity(
    target: AwsTarget,
    input: AssumeRoleWithWebIdentityInput,
  ): Promise<AssumedIdentity> {
    const out = await this.sts.send(
      target,
      new AssumeRoleWithWebIdentityCommand({
        RoleArn: input.roleArn,
        WebIdentityToken: input.webIdentityToken,
        RoleSessionName: input.sessionName,
        DurationSeconds: 900,
      }),
    );
    // The credentials are proof enough; they are dropped here, never returned.
    return {
      assumedRoleArn: out.AssumedRoleUser?.Arn ?? '',
      assumedRoleId: out.AssumedRoleUser?.AssumedRoleId ?? '',
      subjectFromWebIdentityToken: out.SubjectFromWebIdentityToken,
      audience: out.Audience,
      provider: out.Provider,
      expiration: out.Credentials?.Expiration?.toISOString(),
    };
  }
}
