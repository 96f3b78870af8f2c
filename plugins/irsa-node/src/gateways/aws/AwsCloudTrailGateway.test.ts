import {
  CloudTrailClient,
  LookupEventsCommand,
} from '@aws-sdk/client-cloudtrail';
import { mockClient } from 'aws-sdk-client-mock';
import { dummyCredentialsManager } from '../../__testUtils__/awsCredentials';
import { AwsApiClient } from './AwsApiClient';
import { CLOUDTRAIL_API, AwsCloudTrailGateway } from './AwsCloudTrailGateway';

const target = { accountId: '111122223333', region: 'eu-west-1' };
const cloudtrail = mockClient(CloudTrailClient);
const g = new AwsCloudTrailGateway(
  new AwsApiClient(CLOUDTRAIL_API, {
    credentialsManager: dummyCredentialsManager(),
  }),
);

beforeEach(() => cloudtrail.reset());

describe('AwsCloudTrailGateway', () => {
  it('pages CloudTrail up to maxEvents and reads error codes from the event', async () => {
    const event = (id: string, errorCode?: string) => ({
      EventId: id,
      EventName: 'AssumeRoleWithWebIdentity',
      EventSource: 'sts.amazonaws.com',
      EventTime: new Date('2026-11-24T00:00:00Z'),
      CloudTrailEvent: JSON.stringify({
        errorCode,
        sourceIPAddress: '203.0.113.10',
      }),
    });
    cloudtrail
      .on(LookupEventsCommand)
      .resolvesOnce({
        Events: [event('e1', 'AccessDenied'), event('e2')],
        NextToken: 'n',
      })
      .resolvesOnce({ Events: [event('e3')], NextToken: 'n2' });
    const events = await g.lookupEvents(target, {
      attribute: { key: 'ResourceName', value: 'arn:role' },
      startTime: new Date('2026-11-23T23:00:00Z'),
      maxEvents: 3,
    });
    expect(events.map(e => [e.eventId, e.errorCode])).toEqual([
      ['e1', 'AccessDenied'],
      ['e2', undefined],
      ['e3', undefined],
    ]);
    expect(
      cloudtrail
        .commandCalls(LookupEventsCommand)
        .map(c => [c.args[0].input.MaxResults, c.args[0].input.NextToken]),
    ).toEqual([
      [3, undefined],
      [1, 'n'],
    ]);
    expect(
      cloudtrail.commandCalls(LookupEventsCommand)[0].args[0].input,
    ).toEqual({
      LookupAttributes: [
        { AttributeKey: 'ResourceName', AttributeValue: 'arn:role' },
      ],
      StartTime: new Date('2026-11-23T23:00:00Z'),
      EndTime: undefined,
      MaxResults: 3,
      NextToken: undefined,
    });
  });

  it('looks up every event of the window when no attribute is given, and names the resources of each', async () => {
    cloudtrail.on(LookupEventsCommand).resolves({
      Events: [
        {
          EventId: 'e1',
          EventName: 'AssumeRoleWithWebIdentity',
          EventSource: 'sts.amazonaws.com',
          EventTime: new Date('2026-11-24T00:00:00Z'),
          Username: 'system:serviceaccount:shop:checkout',
          Resources: [
            {
              ResourceType: 'AWS::IAM::Role',
              ResourceName: 'arn:aws:iam::111122223333:role/irsa/prod-shop',
            },
            { ResourceType: 'AWS::STS::AssumedRole' },
            {
              ResourceType: 'AWS::IAM::SAMLProvider',
              ResourceName:
                'arn:aws:iam::111122223333:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC',
            },
          ],
          CloudTrailEvent: JSON.stringify({
            errorCode: 'AccessDenied',
            errorMessage:
              'Not authorized to perform sts:AssumeRoleWithWebIdentity',
            sourceIPAddress: '203.0.113.10',
          }),
        },
        {
          EventId: 'e2',
          EventName: 'ListRoles',
          EventSource: 'iam.amazonaws.com',
          EventTime: new Date('2026-11-24T00:01:00Z'),
        },
      ],
    });
    const window = {
      startTime: new Date('2026-11-23T23:00:00Z'),
      endTime: new Date('2026-11-24T01:00:00Z'),
      maxEvents: 200,
    };

    await expect(g.lookupEvents(target, window)).resolves.toStrictEqual([
      {
        eventId: 'e1',
        eventName: 'AssumeRoleWithWebIdentity',
        eventSource: 'sts.amazonaws.com',
        eventTime: '2026-11-24T00:00:00.000Z',
        username: 'system:serviceaccount:shop:checkout',
        errorCode: 'AccessDenied',
        errorMessage: 'Not authorized to perform sts:AssumeRoleWithWebIdentity',
        sourceIp: '203.0.113.10',
        resources: [
          'arn:aws:iam::111122223333:role/irsa/prod-shop',
          'arn:aws:iam::111122223333:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC',
        ],
      },
      {
        eventId: 'e2',
        eventName: 'ListRoles',
        eventSource: 'iam.amazonaws.com',
        eventTime: '2026-11-24T00:01:00.000Z',
        username: undefined,
        errorCode: undefined,
        errorMessage: undefined,
        sourceIp: undefined,
        resources: [],
      },
    ]);
    expect(
      cloudtrail
        .commandCalls(LookupEventsCommand)
        .map(call => call.args[0].input),
    ).toStrictEqual([
      {
        StartTime: new Date('2026-11-23T23:00:00Z'),
        EndTime: new Date('2026-11-24T01:00:00Z'),
        MaxResults: 50,
        NextToken: undefined,
      },
    ]);
  });
});
