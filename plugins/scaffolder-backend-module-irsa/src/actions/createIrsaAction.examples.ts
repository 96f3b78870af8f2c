import type { TemplateExample } from '@backstage/plugin-scaffolder-node';
import { exampleStep } from './exampleStep';

const step = (name: string, input: Record<string, unknown>) =>
  exampleStep({ id: 'irsa', action: 'aws:irsa:create', name }, input);

/** Examples shown in the scaffolder's action docs; every one is run by a test. */
export const createExamples: TemplateExample[] = [
  {
    description:
      'A role with an inline S3 read policy, the ServiceAccount created and annotated',
    example: step('Create the IAM role', {
      cluster: 'sandbox',
      namespace: 'shop',
      serviceAccount: 'cart',
      policy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Action: ['s3:GetObject'],
            Resource: 'arn:aws:s3:::shop-assets/*',
          },
        ],
      }),
      entityRef: 'component:default/cart',
      owner: 'group:default/shop',
    }),
  },
  {
    description:
      'Only an AWS-managed policy, plus an office egress range in the allowlist',
    example: step('Create the IAM role', {
      cluster: 'sandbox',
      namespace: 'reports',
      serviceAccount: 'exporter',
      managedPolicyArns: ['arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess'],
      ipAllowList: ['198.51.100.0/24'],
      entityRef: 'component:default/report-exporter',
      owner: 'group:default/reporting',
    }),
  },
  {
    description:
      'EKS Pod Identity: the role trusts pods.eks.amazonaws.com for this ServiceAccount only, an association binds them, the ServiceAccount gets no role annotation',
    example: step('Create the IAM role', {
      cluster: 'sandbox',
      namespace: 'billing',
      serviceAccount: 'invoicer',
      mechanism: 'pod-identity',
      policy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Action: ['sqs:SendMessage'],
            Resource: 'arn:aws:sqs:us-east-1:111122223333:invoices',
          },
        ],
      }),
      entityRef: 'component:default/invoicer',
      owner: 'group:default/billing',
    }),
  },
  {
    description:
      'GitOps: write serviceaccount.yaml into the repository instead of calling the Kubernetes API',
    example: step('Create the IAM role', {
      cluster: 'sandbox',
      namespace: 'search',
      serviceAccount: 'indexer',
      policy: {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Action: 'sqs:ReceiveMessage',
            Resource: 'arn:aws:sqs:us-east-1:111122223333:index',
          },
        ],
      },
      serviceAccountMode: 'manifest',
      manifestPath: 'k8s/serviceaccount.yaml',
      entityRef: 'component:default/search-indexer',
      owner: 'group:default/search',
    }),
  },
];
