import {
  AssumeRoleWithWebIdentityCommand,
  InvalidIdentityTokenException,
  STSClient,
} from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { dummyCredentialsManager } from '../../__testUtils__/awsCredentials';
import { AwsApiClient } from './AwsApiClient';
import { STS_API, AwsStsGateway } from './AwsStsGateway';

const target = { accountId: '111122223333', region: 'eu-west-1' };
const sts = mockClient(STSClient);

beforeEach(() => sts.reset());

describe('AwsStsGateway', () => {
  it('calls AssumeRoleWithWebIdentity unsigned and never returns the credentials', async () => {
    const credentialsManager = dummyCredentialsManager();
    const g = new AwsStsGateway(
      new AwsApiClient(STS_API, { credentialsManager }),
    );
    sts.on(AssumeRoleWithWebIdentityCommand).resolves({
      AssumedRoleUser: {
        Arn: 'arn:aws:sts::111122223333:assumed-role/r/s',
        AssumedRoleId: 'AROA:s',
      },
      Credentials: {
        AccessKeyId: 'ASIA',
        SecretAccessKey: 'sk',
        SessionToken: 'st',
        Expiration: new Date('2026-11-24T01:00:00Z'),
      },
      SubjectFromWebIdentityToken: 'system:serviceaccount:n:s',
      Audience: 'sts.amazonaws.com',
    });
    const identity = await g.assumeRoleWithWebIdentity(target, {
      roleArn: 'arn:aws:iam::111122223333:role/r',
      webIdentityToken: 'token',
      sessionName: 's',
    });
    expect(
      sts.commandCalls(AssumeRoleWithWebIdentityCommand)[0].args[0].input,
    ).toEqual({
      RoleArn: 'arn:aws:iam::111122223333:role/r',
      WebIdentityToken: 'token',
      RoleSessionName: 's',
      DurationSeconds: 900,
    });
    expect(JSON.stringify(identity)).not.toMatch(/ASIA|sk|"st"/);
    expect(identity).toEqual({
      assumedRoleArn: 'arn:aws:sts::111122223333:assumed-role/r/s',
      assumedRoleId: 'AROA:s',
      subjectFromWebIdentityToken: 'system:serviceaccount:n:s',
      audience: 'sts.amazonaws.com',
      provider: undefined,
      expiration: '2026-11-24T01:00:00.000Z',
    });
    expect(credentialsManager.getCredentialProvider).not.toHaveBeenCalled();
  });

  it('reports a refused token as invalid-token', async () => {
    const g = new AwsStsGateway(
      new AwsApiClient(STS_API, {
        credentialsManager: dummyCredentialsManager(),
      }),
    );
    sts.on(AssumeRoleWithWebIdentityCommand).rejects(
      new InvalidIdentityTokenException({
        message: 'Incorrect token audience',
        $metadata: { requestId: 'req-sts' },
      }),
    );
    await expect(
      g.assumeRoleWithWebIdentity(target, {
        roleArn: 'arn:aws:iam::111122223333:role/r',
        webIdentityToken: 'token',
        sessionName: 's',
      }),
    ).rejects.toMatchObject({
      kind: 'invalid-token',
      operation: 'sts:AssumeRoleWithWebIdentity',
      code: 'InvalidIdentityTokenException',
    });
  });
});
