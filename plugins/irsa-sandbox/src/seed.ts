import {
  EKS_ROLE_ARN_ANNOTATION,
  buildAllowlistPolicy,
  buildTrustPolicy,
  defaultRoleName,
  type CheckId,
  type PolicyDocument,
} from '@backstage-irsa/plugin-irsa-common';
import { setPodIdentityAgent } from './podIdentityAgent';
import type { SandboxClusterGateway } from './SandboxClusterGateway';
import type { SandboxIamGateway } from './SandboxIamGateway';
import type { SandboxCluster, SandboxState } from './state';

/** The sandbox's one AWS account. */
export const SANDBOX_ACCOUNT_ID = '111122223333';

/** A seeded workload and the check it was built to break (null: healthy). */
export interface SandboxScenario {
  id: string;
  cluster: string;
  namespace: string;
  serviceAccount: string;
  roleArn: string;
  /** The demo catalog entity (examples/entities.yaml) that owns the role and ServiceAccount. */
  entityRef: string;
  builtToFail: CheckId | null;
  description: string;
}

const scenario = (
  id: string,
  cluster: string,
  namespace: string,
  serviceAccount: string,
  builtToFail: CheckId | null,
  description: string,
): SandboxScenario => ({
  id,
  cluster,
  namespace,
  serviceAccount,
  roleArn: `arn:aws:iam::${SANDBOX_ACCOUNT_ID}:role/${defaultRoleName(cluster, namespace, serviceAccount)}`,
  entityRef: `component:default/${serviceAccount}`,
  builtToFail,
  description,
});

/** The demo entities' owner (examples/entities.yaml). */
const DEMO_OWNER = 'group:default/guests';

/**
 * The platform tags the demo's aws:irsa:create writes (app-config.yaml
 * irsa.provisioning.tags), which its tag policy (irsa.tagPolicy) requires.
 */
const SANDBOX_PLATFORM_TAGS: Readonly<Record<string, string>> = {
  'cost-center': 'demo',
};

/** The tags aws:irsa:create writes on a scenario's role and policies. */
function ownershipTags(s: SandboxScenario): Record<string, string> {
  return {
    ...SANDBOX_PLATFORM_TAGS,
    'irsa.dev/managed-by': 'backstage-irsa',
    'irsa.dev/entity-ref': s.entityRef,
    'irsa.dev/owner': DEMO_OWNER,
    'irsa.dev/cluster': s.cluster,
    'irsa.dev/service-account': `${s.namespace}/${s.serviceAccount}`,
  };
}

/** Every seeded workload: one healthy, and one per failure the checks catch. */
export const SANDBOX_SCENARIOS: readonly SandboxScenario[] = [
  scenario(
    'healthy',
    'sandbox',
    'payments',
    'payments-api',
    null,
    'Healthy: every check passes.',
  ),
  scenario(
    'sa-not-annotated',
    'sandbox',
    'orders',
    'orders-worker',
    'service-account',
    'The ServiceAccount was never annotated with the role ARN.',
  ),
  scenario(
    'pods-before-annotation',
    'sandbox',
    'billing',
    'billing-api',
    'pod-injection',
    'The pods were created before the ServiceAccount was annotated (restart needed).',
  ),
  scenario(
    'trust-wrong-namespace',
    'sandbox',
    'reports',
    'reports-job',
    'trust-subject',
    'The trust policy names the analytics namespace in :sub.',
  ),
  scenario(
    'trust-no-audience',
    'sandbox',
    'search',
    'search-indexer',
    'trust-audience',
    'The trust policy has no :aud condition.',
  ),
  scenario(
    'allowlist-missing-nat',
    'sandbox',
    'media',
    'media-uploader',
    'allowlist',
    'The IP allowlist misses one of the NAT IPs.',
  ),
  scenario(
    'role-deleted',
    'sandbox',
    'inventory',
    'inventory-sync',
    'role',
    'The role was deleted; the ServiceAccount still points to it.',
  ),
  scenario(
    'oidc-missing',
    'sandbox-legacy',
    'batch',
    'legacy-batch',
    'oidc-provider',
    'The cluster has no IAM OIDC provider.',
  ),
];

function emptyCluster(
  input: Omit<
    SandboxCluster,
    | 'serviceAccounts'
    | 'pods'
    | 'arn'
    | 'associations'
    | 'addons'
    | 'daemonSets'
  >,
): SandboxCluster {
  return {
    ...input,
    arn: `arn:aws:eks:${input.region}:${input.accountId}:cluster/${input.name}`,
    serviceAccounts: new Map(),
    pods: [],
    associations: new Map(),
    addons: new Map(),
    daemonSets: new Map(),
  };
}

function seedClusters(state: SandboxState) {
  const tag = (cluster: string) => ({
    [`kubernetes.io/cluster/${cluster}`]: 'shared',
  });
  const vpc = 'vpc-0a1b2c3d4e5f60718';
  state.clusters.set(
    'sandbox',
    emptyCluster({
      name: 'sandbox',
      accountId: SANDBOX_ACCOUNT_ID,
      region: 'us-east-1',
      issuer:
        'oidc.eks.us-east-1.amazonaws.com/id/5A4D1E0B8C0F4E2B9D7A6C3E1F0B2D4A',
      vpcId: vpc,
      clusterSubnetIds: [
        'subnet-0a00000000000000a',
        'subnet-0b00000000000000b',
      ],
      subnets: [
        {
          id: 'subnet-0a00000000000000a',
          vpcId: vpc,
          cidrBlock: '10.20.1.0/24',
          ipv6CidrBlocks: [],
          availabilityZone: 'us-east-1a',
          tags: tag('sandbox'),
        },
        {
          id: 'subnet-0b00000000000000b',
          vpcId: vpc,
          cidrBlock: '10.20.2.0/24',
          ipv6CidrBlocks: [],
          availabilityZone: 'us-east-1b',
          tags: tag('sandbox'),
        },
        // Not in the cluster's resourcesVpcConfig: found through its tag.
        {
          id: 'subnet-0c00000000000000c',
          vpcId: vpc,
          cidrBlock: '10.20.3.0/24',
          ipv6CidrBlocks: [],
          availabilityZone: 'us-east-1c',
          tags: tag('sandbox'),
        },
        {
          id: 'subnet-0d00000000000000d',
          vpcId: vpc,
          cidrBlock: '10.20.100.0/24',
          ipv6CidrBlocks: [],
          availabilityZone: 'us-east-1a',
          tags: { Name: 'public-a' },
        },
        {
          id: 'subnet-0e00000000000000e',
          vpcId: vpc,
          cidrBlock: '10.20.101.0/24',
          ipv6CidrBlocks: [],
          availabilityZone: 'us-east-1b',
          tags: { Name: 'public-b' },
        },
      ],
      natGateways: [
        {
          id: 'nat-0a0000000000000a1',
          vpcId: vpc,
          subnetId: 'subnet-0d00000000000000d',
          state: 'available',
          publicIps: ['203.0.113.10'],
        },
        {
          id: 'nat-0b0000000000000b2',
          vpcId: vpc,
          subnetId: 'subnet-0e00000000000000e',
          state: 'available',
          publicIps: ['203.0.113.20'],
        },
      ],
      routeTables: [
        {
          id: 'rtb-0a000000000000001',
          vpcId: vpc,
          main: false,
          subnetIds: ['subnet-0a00000000000000a'],
          natGatewayIds: ['nat-0a0000000000000a1'],
        },
        {
          id: 'rtb-0b000000000000002',
          vpcId: vpc,
          main: false,
          subnetIds: ['subnet-0b00000000000000b', 'subnet-0c00000000000000c'],
          natGatewayIds: ['nat-0b0000000000000b2'],
        },
        {
          id: 'rtb-0c000000000000003',
          vpcId: vpc,
          main: true,
          subnetIds: [],
          natGatewayIds: [],
        },
      ],
      vpcEndpoints: [
        {
          id: 'vpce-0a00000000000000a',
          vpcId: vpc,
          serviceName: 'com.amazonaws.us-east-1.s3',
          type: 'Gateway',
          state: 'available',
        },
      ],
    }),
  );
  const legacyVpc = 'vpc-0f1e2d3c4b5a69788';
  state.clusters.set(
    'sandbox-legacy',
    emptyCluster({
      name: 'sandbox-legacy',
      accountId: SANDBOX_ACCOUNT_ID,
      region: 'us-west-2',
      issuer:
        'oidc.eks.us-west-2.amazonaws.com/id/0C1D2E3F405162738495A6B7C8D9E0F1',
      vpcId: legacyVpc,
      clusterSubnetIds: ['subnet-0f00000000000000f'],
      subnets: [
        {
          id: 'subnet-0f00000000000000f',
          vpcId: legacyVpc,
          cidrBlock: '10.30.1.0/24',
          ipv6CidrBlocks: [],
          availabilityZone: 'us-west-2a',
          tags: tag('sandbox-legacy'),
        },
        {
          id: 'subnet-0f10000000000000f',
          vpcId: legacyVpc,
          cidrBlock: '10.30.100.0/24',
          ipv6CidrBlocks: [],
          availabilityZone: 'us-west-2a',
          tags: { Name: 'public' },
        },
      ],
      natGateways: [
        {
          id: 'nat-0f0000000000000f1',
          vpcId: legacyVpc,
          subnetId: 'subnet-0f10000000000000f',
          state: 'available',
          publicIps: ['198.51.100.7'],
        },
      ],
      routeTables: [
        {
          id: 'rtb-0f000000000000001',
          vpcId: legacyVpc,
          main: true,
          subnetIds: ['subnet-0f00000000000000f'],
          natGatewayIds: ['nat-0f0000000000000f1'],
        },
      ],
      vpcEndpoints: [],
    }),
  );
  // Only the first cluster runs the Pod Identity agent add-on.
  setPodIdentityAgent(state.clusters.get('sandbox')!, {});
  // Only the first cluster's issuer is registered with IAM.
  const issuer = state.clusters.get('sandbox')!.issuer;
  state
    .account(SANDBOX_ACCOUNT_ID)
    .oidcProviders.set(
      `arn:aws:iam::${SANDBOX_ACCOUNT_ID}:oidc-provider/${issuer}`,
      {
        arn: `arn:aws:iam::${SANDBOX_ACCOUNT_ID}:oidc-provider/${issuer}`,
        url: issuer,
        clientIds: ['sts.amazonaws.com'],
        thumbprints: ['9e99a48a9960b14926bb7f3b02e22da2b0ab7280'],
      },
    );
}

function seedAwsManagedPolicies(state: SandboxState) {
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

/** Seeds clusters, the OIDC provider, AWS-managed policies and the scenarios. */
export async function seedSandbox(
  state: SandboxState,
  iam: SandboxIamGateway,
  kubernetes: SandboxClusterGateway,
) {
  seedClusters(state);
  seedAwsManagedPolicies(state);
  for (const s of SANDBOX_SCENARIOS) {
    const cluster = state.clusters.get(s.cluster)!;
    const target = { accountId: SANDBOX_ACCOUNT_ID, region: cluster.region };
    const roleName = defaultRoleName(s.cluster, s.namespace, s.serviceAccount);
    const providerArn = `arn:aws:iam::${SANDBOX_ACCOUNT_ID}:oidc-provider/${cluster.issuer}`;
    const trust = buildTrustPolicy({
      oidcProviderArn: providerArn,
      issuer: cluster.issuer,
      namespace: s.id === 'trust-wrong-namespace' ? 'analytics' : s.namespace,
      serviceAccount: s.serviceAccount,
    }).document;
    if (s.id === 'trust-no-audience') {
      delete (
        trust.Statement[0].Condition!.StringEquals as Record<string, unknown>
      )[`${cluster.issuer}:aud`];
    }
    if (s.id !== 'role-deleted') {
      await iam.createRole(target, {
        name: roleName,
        path: '/',
        trustPolicy: trust,
        description: `IRSA role for ${s.namespace}/${s.serviceAccount} on ${s.cluster}`,
        tags: ownershipTags(s),
      });
      const permissions = await iam.createPolicy(target, {
        name: roleName,
        path: '/',
        document: {
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'ReadDemoBucket',
              Effect: 'Allow',
              Action: ['s3:GetObject', 's3:ListBucket'],
              Resource: [
                `arn:aws:s3:::demo-${s.namespace}`,
                `arn:aws:s3:::demo-${s.namespace}/*`,
              ],
            },
          ],
        },
        tags: ownershipTags(s),
      });
      const natIps = cluster.natGateways.flatMap(n => n.publicIps);
      const allowlist = await iam.createPolicy(target, {
        name: `${roleName}-allowlist`,
        path: '/',
        document: buildAllowlistPolicy({
          publicCidrs: (s.id === 'allowlist-missing-nat'
            ? natIps.slice(0, 1)
            : natIps
          ).map(ip => `${ip}/32`),
          vpcIds: [cluster.vpcId],
        }).document,
        tags: ownershipTags(s),
      });
      await iam.attachRolePolicy(target, roleName, permissions.arn);
      await iam.attachRolePolicy(target, roleName, allowlist.arn);
    }
    const annotateFirst =
      s.id !== 'sa-not-annotated' && s.id !== 'pods-before-annotation';
    await kubernetes.createServiceAccount(s.cluster, {
      namespace: s.namespace,
      name: s.serviceAccount,
      annotations: {
        'irsa.dev/entity-ref': s.entityRef,
        'irsa.dev/owner': DEMO_OWNER,
        ...(annotateFirst ? { [EKS_ROLE_ARN_ANNOTATION]: s.roleArn } : {}),
      },
      labels: {
        'app.kubernetes.io/name': s.serviceAccount,
        'irsa.dev/managed-by': 'backstage-irsa',
      },
    });
    for (const suffix of ['7d9f8', 'k2x4q']) {
      kubernetes.createPod(s.cluster, s.namespace, {
        name: `${s.serviceAccount}-6c4b9-${suffix}`,
        serviceAccountName: s.serviceAccount,
      });
    }
    if (s.id === 'pods-before-annotation') {
      await kubernetes.patchServiceAccountAnnotations(
        s.cluster,
        s.namespace,
        s.serviceAccount,
        { [EKS_ROLE_ARN_ANNOTATION]: s.roleArn },
      );
    }
  }
}
