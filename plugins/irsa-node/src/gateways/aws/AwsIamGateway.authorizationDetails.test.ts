import {
  GetAccountAuthorizationDetailsCommand,
  IAMClient,
} from '@aws-sdk/client-iam';
import type { PolicyDocument } from '@backstage-irsa/plugin-irsa-common';
import { mockClient } from 'aws-sdk-client-mock';
import { dummyCredentialsManager } from '../../__testUtils__/awsCredentials';
import { AwsApiClient } from './AwsApiClient';
import { IAM_API, AwsIamGateway } from './AwsIamGateway';

const target = { accountId: '111122223333', region: 'eu-west-1' };
const iam = mockClient(IAMClient);
const g = new AwsIamGateway(
  new AwsApiClient(IAM_API, { credentialsManager: dummyCredentialsManager() }),
);

/** IAM returns every document URL-encoded (RFC 3986). */
const encoded = (document: PolicyDocument) =>
  encodeURIComponent(JSON.stringify(document));

const trust: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Principal: { Service: 'pods.eks.amazonaws.com' },
      Action: ['sts:AssumeRole', 'sts:TagSession'],
    },
  ],
};
const inline: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Action: 's3:GetObject',
      Resource: 'arn:aws:s3:::reports/q=1&r+2/100% done/*',
    },
  ],
};
const managed = (action: string): PolicyDocument => ({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: action, Resource: '*' }],
});

const ACCOUNT_ROLE = 'arn:aws:iam::111122223333:role/irsa/prod-shop';
const LOCAL_POLICY = 'arn:aws:iam::111122223333:policy/irsa/prod-shop';
const AWS_POLICY = 'arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess';

beforeEach(() => iam.reset());

describe('AwsIamGateway.getAccountAuthorizationDetails', () => {
  it('reads every page (Role, LocalManagedPolicy, AWSManagedPolicy; 1000 a page) and decodes every document', async () => {
    iam
      .on(GetAccountAuthorizationDetailsCommand)
      .resolvesOnce({
        RoleDetailList: [
          {
            RoleName: 'prod-shop',
            Arn: ACCOUNT_ROLE,
            Path: '/irsa/',
            RoleId: 'AROASHOP',
            CreateDate: new Date('2026-11-01T00:00:00Z'),
            AssumeRolePolicyDocument: encoded(trust),
            Tags: [{ Key: 'irsa.dev/managed-by', Value: 'backstage-irsa' }],
            RolePolicyList: [
              { PolicyName: 'reports', PolicyDocument: encoded(inline) },
            ],
            AttachedManagedPolicies: [
              { PolicyName: 'prod-shop', PolicyArn: LOCAL_POLICY },
              { PolicyName: 'AmazonS3ReadOnlyAccess', PolicyArn: AWS_POLICY },
            ],
            PermissionsBoundary: {
              PermissionsBoundaryType: 'PermissionsBoundaryPolicy',
              PermissionsBoundaryArn:
                'arn:aws:iam::111122223333:policy/boundary',
            },
            RoleLastUsed: {
              LastUsedDate: new Date('2026-11-27T12:00:00Z'),
              Region: 'eu-west-1',
            },
          },
        ],
        Policies: [
          {
            PolicyName: 'prod-shop',
            Arn: LOCAL_POLICY,
            Path: '/irsa/',
            DefaultVersionId: 'v2',
            AttachmentCount: 1,
            PolicyVersionList: [
              {
                VersionId: 'v1',
                IsDefaultVersion: false,
                Document: encoded(managed('sqs:SendMessage')),
              },
              {
                VersionId: 'v2',
                IsDefaultVersion: true,
                Document: encoded(managed('sqs:ReceiveMessage')),
              },
            ],
          },
        ],
        IsTruncated: true,
        Marker: 'marker-2',
      })
      .resolvesOnce({
        RoleDetailList: [
          {
            RoleName: 'plain',
            Arn: 'arn:aws:iam::111122223333:role/plain',
            Path: '/',
            RoleId: 'AROAPLAIN',
            CreateDate: new Date('2026-10-01T00:00:00Z'),
            AssumeRolePolicyDocument: encoded(trust),
          },
        ],
        Policies: [
          {
            PolicyName: 'AmazonS3ReadOnlyAccess',
            Arn: AWS_POLICY,
            Path: '/',
            DefaultVersionId: 'v3',
            AttachmentCount: 4,
            PolicyVersionList: [
              {
                VersionId: 'v3',
                IsDefaultVersion: true,
                Document: encoded(managed('s3:Get*')),
              },
            ],
          },
        ],
        // A stale marker on the last page must not be followed.
        IsTruncated: false,
        Marker: 'stale',
      });

    await expect(
      g.getAccountAuthorizationDetails(target),
    ).resolves.toStrictEqual({
      roles: [
        {
          arn: ACCOUNT_ROLE,
          name: 'prod-shop',
          path: '/irsa/',
          roleId: 'AROASHOP',
          trustPolicy: trust,
          tags: { 'irsa.dev/managed-by': 'backstage-irsa' },
          createDate: '2026-11-01T00:00:00.000Z',
          permissionsBoundaryArn: 'arn:aws:iam::111122223333:policy/boundary',
          roleLastUsed: {
            lastUsedDate: '2026-11-27T12:00:00.000Z',
            region: 'eu-west-1',
          },
          attachedPolicies: [
            { arn: LOCAL_POLICY, name: 'prod-shop' },
            { arn: AWS_POLICY, name: 'AmazonS3ReadOnlyAccess' },
          ],
          inlinePolicies: [{ name: 'reports', document: inline }],
        },
        {
          arn: 'arn:aws:iam::111122223333:role/plain',
          name: 'plain',
          path: '/',
          roleId: 'AROAPLAIN',
          trustPolicy: trust,
          tags: {},
          createDate: '2026-10-01T00:00:00.000Z',
          attachedPolicies: [],
          inlinePolicies: [],
        },
      ],
      policies: [
        {
          arn: LOCAL_POLICY,
          name: 'prod-shop',
          path: '/irsa/',
          defaultVersionId: 'v2',
          awsManaged: false,
          attachmentCount: 1,
          tags: {},
          defaultDocument: managed('sqs:ReceiveMessage'),
        },
        {
          arn: AWS_POLICY,
          name: 'AmazonS3ReadOnlyAccess',
          path: '/',
          defaultVersionId: 'v3',
          awsManaged: true,
          attachmentCount: 4,
          tags: {},
          defaultDocument: managed('s3:Get*'),
        },
      ],
    });
    expect(
      iam
        .commandCalls(GetAccountAuthorizationDetailsCommand)
        .map(call => call.args[0].input),
    ).toStrictEqual([
      {
        Filter: ['Role', 'LocalManagedPolicy', 'AWSManagedPolicy'],
        MaxItems: 1000,
        Marker: undefined,
      },
      {
        Filter: ['Role', 'LocalManagedPolicy', 'AWSManagedPolicy'],
        MaxItems: 1000,
        Marker: 'marker-2',
      },
    ]);
  });

  it('leaves out the AWS managed policies nothing uses, keeps boundaries and every local policy', async () => {
    const policy = (
      arn: string,
      counts: {
        AttachmentCount?: number;
        PermissionsBoundaryUsageCount?: number;
      },
    ) => ({
      PolicyName: arn.split('/').pop(),
      Arn: arn,
      Path: '/',
      DefaultVersionId: 'v1',
      ...counts,
      PolicyVersionList: [
        {
          VersionId: 'v1',
          IsDefaultVersion: true,
          Document: encoded(managed('sts:GetCallerIdentity')),
        },
      ],
    });
    iam.on(GetAccountAuthorizationDetailsCommand).resolves({
      RoleDetailList: [],
      Policies: [
        policy('arn:aws:iam::aws:policy/Unused', { AttachmentCount: 0 }),
        policy('arn:aws:iam::aws:policy/Attached', { AttachmentCount: 2 }),
        policy('arn:aws:iam::aws:policy/Boundary', {
          AttachmentCount: 0,
          PermissionsBoundaryUsageCount: 1,
        }),
        policy('arn:aws-us-gov:iam::aws:policy/GovUnused', {}),
        policy('arn:aws:iam::111122223333:policy/LocalUnused', {
          AttachmentCount: 0,
        }),
      ],
      IsTruncated: false,
    });
    const { policies } = await g.getAccountAuthorizationDetails(target);
    expect(policies.map(p => p.arn)).toEqual([
      'arn:aws:iam::aws:policy/Attached',
      'arn:aws:iam::aws:policy/Boundary',
      'arn:aws:iam::111122223333:policy/LocalUnused',
    ]);
  });

  it('stops at the next page once the caller aborts, as unavailable', async () => {
    const controller = new AbortController();
    iam.on(GetAccountAuthorizationDetailsCommand).callsFake(async () => {
      controller.abort();
      return { RoleDetailList: [], IsTruncated: true, Marker: 'next' };
    });
    await expect(
      g.getAccountAuthorizationDetails(target, { signal: controller.signal }),
    ).rejects.toMatchObject({
      kind: 'unavailable',
      operation: 'iam:GetAccountAuthorizationDetails',
      code: 'AbortError',
    });
    expect(
      iam.commandCalls(GetAccountAuthorizationDetailsCommand),
    ).toHaveLength(1);
  });
});
