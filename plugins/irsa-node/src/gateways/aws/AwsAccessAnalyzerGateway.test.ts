import {
  AccessAnalyzerClient,
  AccessDeniedException,
  ValidatePolicyCommand,
  ValidationException,
} from '@aws-sdk/client-accessanalyzer';
import { mockClient } from 'aws-sdk-client-mock';
import type { PolicyDocument } from '@backstage-irsa/plugin-irsa-common';
import { AwsApiClient } from './AwsApiClient';
import {
  ACCESS_ANALYZER_API,
  AwsAccessAnalyzerGateway,
} from './AwsAccessAnalyzerGateway';

const target = { accountId: '111122223333', region: 'eu-west-1' };
const document: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Action: ['s3:GetObject', 'iam:PassRole'],
      Resource: '*',
      Condition: { IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } },
    },
  ],
};
const span = {
  start: { line: 1, column: 1, offset: 1 },
  end: { line: 1, column: 9, offset: 9 },
};
const analyzer = mockClient(AccessAnalyzerClient);
const gateway = new AwsAccessAnalyzerGateway(
  new AwsApiClient(ACCESS_ANALYZER_API, {
    credentialsManager: {
      getCredentialProvider: async () => ({
        sdkCredentialProvider: async () => ({
          accessKeyId: 'a',
          secretAccessKey: 'b',
        }),
      }),
    },
    requestsPerSecond: { accessanalyzer: 1000 },
    maxAttempts: 1,
  }),
);

beforeEach(() => analyzer.reset());

describe('AwsAccessAnalyzerGateway.validatePolicy', () => {
  it('sends the document as JSON, follows every page and maps the findings', async () => {
    analyzer
      .on(ValidatePolicyCommand)
      .resolvesOnce({
        findings: [
          {
            findingType: 'SECURITY_WARNING',
            issueCode: 'PASS_ROLE_WITH_STAR_IN_RESOURCE',
            findingDetails: 'Using iam:PassRole with * in Resource.',
            learnMoreLink: 'https://docs.aws.amazon.com/',
            locations: [
              {
                path: [
                  { value: 'Statement' },
                  { index: 0 },
                  { value: 'Action' },
                  { index: 1 },
                ],
                span,
              },
              {
                path: [
                  { value: 'Statement' },
                  { index: 0 },
                  { value: 'Resource' },
                ],
                span,
              },
            ],
          },
        ],
        nextToken: 'page-2',
      })
      .resolvesOnce({
        findings: [
          {
            findingType: 'ERROR',
            issueCode: 'PRIVATE_IP_ADDRESS',
            findingDetails: 'aws:SourceIp only holds public addresses.',
            learnMoreLink: 'https://docs.aws.amazon.com/',
            locations: [
              {
                path: [
                  { value: 'Statement' },
                  { index: 0 },
                  { value: 'Condition' },
                  { value: 'IpAddress' },
                  { key: 'aws:SourceIp' },
                  { substring: { start: 0, length: 4 } },
                ],
                span,
              },
            ],
          },
          {
            findingType: 'SUGGESTION',
            issueCode: 'EMPTY_ARRAY_ACTION',
            findingDetails: 'No location.',
            learnMoreLink: 'https://docs.aws.amazon.com/',
            locations: [],
          },
        ],
      });

    await expect(
      gateway.validatePolicy(target, {
        document,
        policyType: 'IDENTITY_POLICY',
      }),
    ).resolves.toEqual([
      {
        findingType: 'SECURITY_WARNING',
        issueCode: 'PASS_ROLE_WITH_STAR_IN_RESOURCE',
        details: 'Using iam:PassRole with * in Resource.',
        locations: ['Statement[0].Action[1]', 'Statement[0].Resource'],
      },
      {
        findingType: 'ERROR',
        issueCode: 'PRIVATE_IP_ADDRESS',
        details: 'aws:SourceIp only holds public addresses.',
        locations: [
          'Statement[0].Condition.IpAddress.aws:SourceIp (characters 0-4)',
        ],
      },
      {
        findingType: 'SUGGESTION',
        issueCode: 'EMPTY_ARRAY_ACTION',
        details: 'No location.',
        locations: [],
      },
    ]);
    expect(
      analyzer.commandCalls(ValidatePolicyCommand).map(c => c.args[0].input),
    ).toEqual([
      {
        policyDocument: JSON.stringify(document),
        policyType: 'IDENTITY_POLICY',
      },
      {
        policyDocument: JSON.stringify(document),
        policyType: 'IDENTITY_POLICY',
        nextToken: 'page-2',
      },
    ]);
  });

  it('asks for a resource policy when told to', async () => {
    analyzer.on(ValidatePolicyCommand).resolves({ findings: [] });
    await expect(
      gateway.validatePolicy(target, {
        document,
        policyType: 'RESOURCE_POLICY',
      }),
    ).resolves.toEqual([]);
    expect(
      analyzer.commandCalls(ValidatePolicyCommand)[0].args[0].input,
    ).toEqual({
      policyDocument: JSON.stringify(document),
      policyType: 'RESOURCE_POLICY',
    });
  });

  it('stops at the page cap when an endpoint repeats its token', async () => {
    analyzer
      .on(ValidatePolicyCommand)
      .resolves({ findings: [], nextToken: 'same' });
    await gateway.validatePolicy(target, {
      document,
      policyType: 'IDENTITY_POLICY',
    });
    expect(analyzer.commandCalls(ValidatePolicyCommand)).toHaveLength(50);
  });

  it.each([
    [
      'AccessDeniedException',
      new AccessDeniedException({
        message:
          'User is not authorized to perform: access-analyzer:ValidatePolicy',
        $metadata: { requestId: 'req-1' },
      }),
      {
        kind: 'access-denied',
        code: 'AccessDeniedException',
        requestId: 'req-1',
        operation: 'access-analyzer:ValidatePolicy',
        message:
          'access-analyzer:ValidatePolicy: User is not authorized to perform: access-analyzer:ValidatePolicy',
      },
    ],
    [
      'ValidationException',
      new ValidationException({
        message: 'Invalid policy document',
        reason: 'other',
        $metadata: { requestId: 'req-2' },
      }),
      {
        kind: 'invalid-input',
        code: 'ValidationException',
        requestId: 'req-2',
        operation: 'access-analyzer:ValidatePolicy',
      },
    ],
  ])('turns %s into a typed gateway error', async (_name, error, expected) => {
    analyzer.on(ValidatePolicyCommand).rejects(error);
    await expect(
      gateway.validatePolicy(target, {
        document,
        policyType: 'IDENTITY_POLICY',
      }),
    ).rejects.toMatchObject({ name: 'GatewayError', ...expected });
  });
});
