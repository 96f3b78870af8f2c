import type { PolicyDocument } from '@backstage-irsa/plugin-irsa-common';
import type { SandboxState } from './state';

/**
 * Seeds the AWS-managed policies every account sees, with AWS's published
 * default versions.
 */
export function seedAwsManagedPolicies(state: SandboxState) {
  const managed = (name: string, document: PolicyDocument) =>
    state.awsManagedPolicies.set(`arn:aws:iam::aws:policy/${name}`, {
      info: {
        arn: `arn:aws:iam::aws:policy/${name}`,
        name,
        path: '/',
        defaultVersionId: 'v1',
        awsManaged: true,
        attachmentCount: 0,
        tags: {},
      },
      versions: [
        { versionId: 'v1', document, createDate: '2015-02-06T18:40:00.000Z' },
      ],
      nextVersion: 2,
    });
  // The documents below are AWS's published default versions, so the
  // guardrails judge them as they would judge the real ones. Where marked,
  // a document is a faithful excerpt: the parts the guardrails look at
  // (NotAction, iam/organizations/sts grants, wildcard resources) are exact.
  const allowAll = (
    Action: string | string[],
    Resource: string | string[] = '*',
  ) => ({ Effect: 'Allow' as const, Action, Resource });
  managed('AdministratorAccess', {
    Version: '2012-10-17',
    Statement: [allowAll('*')],
  });
  managed('PowerUserAccess', {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        NotAction: ['iam:*', 'organizations:*', 'account:*'],
        Resource: '*',
      },
      allowAll([
        'account:GetAccountInformation',
        'account:GetPrimaryEmail',
        'account:ListRegions',
        'iam:CreateServiceLinkedRole',
        'iam:DeleteServiceLinkedRole',
        'iam:ListRoles',
        'organizations:DescribeOrganization',
      ]),
    ],
  });
  managed('IAMFullAccess', {
    Version: '2012-10-17',
    Statement: [
      allowAll([
        'iam:*',
        'organizations:DescribeAccount',
        'organizations:DescribeOrganization',
        'organizations:DescribeOrganizationalUnit',
        'organizations:DescribePolicy',
        'organizations:ListChildren',
        'organizations:ListParents',
        'organizations:ListPoliciesForTarget',
        'organizations:ListRoots',
        'organizations:ListPolicies',
        'organizations:ListTargetsForPolicy',
      ]),
    ],
  });
  // Partial: the real ReadOnlyAccess lists Describe/Get/List actions of
  // several hundred services; these are the ones an IRSA workload meets.
  managed('ReadOnlyAccess', {
    Version: '2012-10-17',
    Statement: [
      allowAll([
        'cloudwatch:Describe*',
        'cloudwatch:Get*',
        'cloudwatch:List*',
        'dynamodb:BatchGet*',
        'dynamodb:Describe*',
        'dynamodb:Get*',
        'dynamodb:List*',
        'dynamodb:Query',
        'dynamodb:Scan',
        'ec2:Describe*',
        'ec2:Get*',
        'ecr:BatchGetImage',
        'ecr:Describe*',
        'ecr:Get*',
        'ecr:List*',
        'eks:Describe*',
        'eks:List*',
        'iam:Generate*',
        'iam:Get*',
        'iam:List*',
        'iam:Simulate*',
        'kms:Describe*',
        'kms:Get*',
        'kms:List*',
        'lambda:Get*',
        'lambda:List*',
        'logs:Describe*',
        'logs:FilterLogEvents',
        'logs:Get*',
        'logs:StartQuery',
        'logs:StopQuery',
        's3:Describe*',
        's3:Get*',
        's3:List*',
        'secretsmanager:Describe*',
        'secretsmanager:GetResourcePolicy',
        'secretsmanager:List*',
        'sns:Get*',
        'sns:List*',
        'sqs:Get*',
        'sqs:List*',
        'sqs:Receive*',
        'sts:GetCallerIdentity',
      ]),
    ],
  });
  managed('AmazonS3ReadOnlyAccess', {
    Version: '2012-10-17',
    Statement: [
      allowAll([
        's3:Get*',
        's3:List*',
        's3:Describe*',
        's3-object-lambda:Get*',
        's3-object-lambda:List*',
      ]),
    ],
  });
  managed('AmazonS3FullAccess', {
    Version: '2012-10-17',
    Statement: [allowAll(['s3:*', 's3-object-lambda:*'])],
  });
  managed('AmazonDynamoDBReadOnlyAccess', {
    Version: '2012-10-17',
    Statement: [
      allowAll([
        'application-autoscaling:DescribeScalableTargets',
        'application-autoscaling:DescribeScalingActivities',
        'application-autoscaling:DescribeScalingPolicies',
        'cloudwatch:DescribeAlarmHistory',
        'cloudwatch:DescribeAlarms',
        'cloudwatch:DescribeAlarmsForMetric',
        'cloudwatch:GetMetricData',
        'cloudwatch:GetMetricStatistics',
        'cloudwatch:ListMetrics',
        'datapipeline:DescribeObjects',
        'datapipeline:DescribePipelines',
        'datapipeline:GetPipelineDefinition',
        'datapipeline:ListPipelines',
        'datapipeline:QueryObjects',
        'dynamodb:BatchGetItem',
        'dynamodb:Describe*',
        'dynamodb:List*',
        'dynamodb:GetItem',
        'dynamodb:Query',
        'dynamodb:Scan',
        'dynamodb:PartiQLSelect',
        'dax:Describe*',
        'dax:List*',
        'dax:GetItem',
        'dax:BatchGetItem',
        'dax:Query',
        'dax:Scan',
        'ec2:DescribeVpcs',
        'ec2:DescribeSubnets',
        'ec2:DescribeSecurityGroups',
        'iam:GetRole',
        'iam:ListRoles',
        'kms:DescribeKey',
        'kms:ListAliases',
        'sns:ListSubscriptionsByTopic',
        'sns:ListTopics',
        'lambda:ListFunctions',
        'lambda:ListEventSourceMappings',
        'lambda:GetFunctionConfiguration',
        'resource-groups:ListGroups',
        'resource-groups:ListGroupResources',
        'resource-groups:GetGroup',
        'resource-groups:GetGroupQuery',
        'tag:GetResources',
        'kinesis:ListStreams',
        'kinesis:DescribeStream',
        'kinesis:DescribeStreamSummary',
      ]),
    ],
  });
  managed('AmazonSQSFullAccess', {
    Version: '2012-10-17',
    Statement: [allowAll('sqs:*')],
  });
  managed('CloudWatchAgentServerPolicy', {
    Version: '2012-10-17',
    Statement: [
      allowAll([
        'cloudwatch:PutMetricData',
        'ec2:DescribeVolumes',
        'ec2:DescribeTags',
        'logs:PutLogEvents',
        'logs:DescribeLogStreams',
        'logs:DescribeLogGroups',
        'logs:CreateLogStream',
        'logs:CreateLogGroup',
        'xray:PutTraceSegments',
        'xray:PutTelemetryRecords',
        'xray:GetSamplingRules',
        'xray:GetSamplingTargets',
        'xray:GetSamplingStatisticSummaries',
      ]),
      allowAll(
        'ssm:GetParameter',
        'arn:aws:ssm:*:*:parameter/AmazonCloudWatch-*',
      ),
    ],
  });
  // Partial: the real policy also reads RDS, Redshift and DocumentDB
  // clusters and KMS keys for the console's rotation setup.
  managed('SecretsManagerReadWrite', {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'BasePermissions',
        ...allowAll([
          'secretsmanager:*',
          'cloudformation:CreateChangeSet',
          'cloudformation:DescribeChangeSet',
          'cloudformation:DescribeStackResource',
          'cloudformation:DescribeStacks',
          'cloudformation:ExecuteChangeSet',
          'ec2:DescribeSecurityGroups',
          'ec2:DescribeSubnets',
          'ec2:DescribeVpcs',
          'kms:DescribeKey',
          'kms:ListAliases',
          'kms:ListKeys',
          'lambda:ListFunctions',
          'rds:DescribeDBClusters',
          'rds:DescribeDBInstances',
          'tag:GetResources',
        ]),
      },
      {
        Sid: 'LambdaPermissions',
        ...allowAll(
          [
            'lambda:AddPermission',
            'lambda:CreateFunction',
            'lambda:GetFunction',
            'lambda:InvokeFunction',
            'lambda:UpdateFunctionConfiguration',
          ],
          'arn:aws:lambda:*:*:function:SecretsManager*',
        ),
      },
      {
        Sid: 'SARPermissions',
        ...allowAll(
          [
            'serverlessrepo:CreateCloudFormationChangeSet',
            'serverlessrepo:GetApplication',
          ],
          'arn:aws:serverlessrepo:*:*:applications/SecretsManager*',
        ),
      },
      {
        Sid: 'S3Permissions',
        ...allowAll('s3:GetObject', [
          'arn:aws:s3:::awsserverlessrepo-changesets*',
          'arn:aws:s3:::secrets-manager-rotation-apps-*/*',
        ]),
      },
    ],
  });
}
