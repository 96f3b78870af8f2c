import { ServiceException } from '@smithy/core/client';
import { mockClient } from 'aws-sdk-client-mock';
import { dummyCredentialsManager } from '../../__testUtils__/awsCredentials';
import { AwsApiClient } from './AwsApiClient';
import { AwsEksAuthGateway, EKS_AUTH_API } from './AwsEksAuthGateway';
import {
  AssumeRoleForPodIdentityCommand,
  EksAuthClient,
} from './EksAuthClient';

const target = { accountId: '111122223333', region: 'eu-west-1' };
const eksAuth = mockClient(EksAuthClient);
const g = new AwsEksAuthGateway(
  new AwsApiClient(EKS_AUTH_API, {
    credentialsManager: dummyCredentialsManager(),
  }),
);
const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW0ifQ.c2lnbmF0dXJl';

/** An EKS Auth error as the client throws it. */
const awsError = (name: string, requestId: string) =>
  new ServiceException({
    name,
    $fault: 'client',
    $metadata: { httpStatusCode: 400, requestId },
    message: `${name} from EKS Auth`,
  });

beforeEach(() => eksAuth.reset());

describe('AwsEksAuthGateway', () => {
  it('sends the cluster and token, and returns what the exchange proved without the credentials', async () => {
    eksAuth.on(AssumeRoleForPodIdentityCommand).resolves({
      $metadata: { httpStatusCode: 200 },
      subject: { namespace: 'shop', serviceAccount: 'checkout' },
      audience: 'pods.eks.amazonaws.com',
      podIdentityAssociation: {
        associationArn:
          'arn:aws:eks:eu-west-1:111122223333:podidentityassociation/prod/a-1',
        associationId: 'a-1',
      },
      assumedRoleUser: {
        arn: 'arn:aws:sts::111122223333:assumed-role/prod-checkout/eks-prod-checkout-1',
        assumeRoleId: 'AROAEXAMPLE:eks-prod-checkout-1',
      },
      credentials: { expiration: new Date('2026-11-28T07:00:00Z') },
    });

    const result = await g.assumeRoleForPodIdentity(target, 'prod', TOKEN);

    expect(result).toStrictEqual({
      assumedRoleArn:
        'arn:aws:sts::111122223333:assumed-role/prod-checkout/eks-prod-checkout-1',
      associationId: 'a-1',
      subject: { namespace: 'shop', serviceAccount: 'checkout' },
      audience: 'pods.eks.amazonaws.com',
      expiration: '2026-11-28T07:00:00.000Z',
    });
    expect(
      eksAuth
        .commandCalls(AssumeRoleForPodIdentityCommand)
        .map(call => call.args[0].input),
    ).toStrictEqual([{ clusterName: 'prod', token: TOKEN }]);
  });

  it('returns only the role when EKS Auth says nothing more', async () => {
    eksAuth.on(AssumeRoleForPodIdentityCommand).resolves({
      $metadata: {},
      assumedRoleUser: { arn: 'arn:aws:iam::111122223333:role/prod-checkout' },
    });
    await expect(
      g.assumeRoleForPodIdentity(target, 'prod', TOKEN),
    ).resolves.toStrictEqual({
      assumedRoleArn: 'arn:aws:iam::111122223333:role/prod-checkout',
    });
  });

  it.each([
    ['ExpiredTokenException', 'invalid-token'],
    ['InvalidTokenException', 'invalid-token'],
    ['AccessDeniedException', 'access-denied'],
    ['ResourceNotFoundException', 'not-found'],
    ['InvalidRequestException', 'invalid-input'],
    ['InvalidParameterException', 'invalid-input'],
    ['ThrottlingException', 'throttled'],
    ['ServiceUnavailableException', 'unavailable'],
  ])(
    'reports %s as %s, with the request id and never the token',
    async (name, kind) => {
      eksAuth
        .on(AssumeRoleForPodIdentityCommand)
        .rejects(awsError(name, 'req-auth'));
      const error = await g
        .assumeRoleForPodIdentity(target, 'prod', TOKEN)
        .catch(e => e);
      expect(error).toMatchObject({
        kind,
        operation: 'eks-auth:AssumeRoleForPodIdentity',
        code: name,
        requestId: 'req-auth',
      });
      expect(
        JSON.stringify({ ...error, message: error.message }),
      ).not.toContain(TOKEN);
    },
  );
});
