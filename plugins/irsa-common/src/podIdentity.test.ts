import {
  ANNOTATION_IRSA_MIGRATING_TO,
  buildPodIdentityTrustPolicy,
  effectiveMechanism,
} from './podIdentity';

describe('buildPodIdentityTrustPolicy', () => {
  it('lets only EKS Pod Identity assume and tag, for this cluster, namespace and ServiceAccount', () => {
    expect(
      buildPodIdentityTrustPolicy({
        partition: 'aws',
        accountId: '111122223333',
        region: 'eu-west-1',
        clusterName: 'prod',
        namespace: 'payments',
        serviceAccount: 'api',
      }),
    ).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'EksPodIdentity',
          Effect: 'Allow',
          Principal: { Service: 'pods.eks.amazonaws.com' },
          Action: ['sts:AssumeRole', 'sts:TagSession'],
          Condition: {
            StringEquals: {
              'aws:SourceAccount': '111122223333',
              'aws:RequestTag/eks-cluster-name': 'prod',
              'aws:RequestTag/kubernetes-namespace': 'payments',
              'aws:RequestTag/kubernetes-service-account': 'api',
            },
            ArnEquals: {
              'aws:SourceArn':
                'arn:aws:eks:eu-west-1:111122223333:cluster/prod',
            },
          },
        },
      ],
    });
  });
});

describe('effectiveMechanism', () => {
  const roleAnnotation = {
    'eks.amazonaws.com/role-arn': 'arn:aws:iam::1:role/r',
  };

  it('a migration annotation wins, naming where it comes from', () => {
    expect(
      effectiveMechanism({
        serviceAccountAnnotations: {
          ...roleAnnotation,
          [ANNOTATION_IRSA_MIGRATING_TO]: 'pod-identity',
        },
        hasAssociation: true,
      }),
    ).toEqual({ mechanism: 'pod-identity', migratingFrom: 'irsa' });
    expect(
      effectiveMechanism({
        serviceAccountAnnotations: { [ANNOTATION_IRSA_MIGRATING_TO]: 'irsa' },
        hasAssociation: true,
      }),
    ).toEqual({ mechanism: 'irsa', migratingFrom: 'pod-identity' });
  });

  it('an association beats the role annotation (the webhook injects only container credentials then)', () => {
    expect(
      effectiveMechanism({
        declared: 'irsa',
        serviceAccountAnnotations: roleAnnotation,
        hasAssociation: true,
      }),
    ).toEqual({ mechanism: 'pod-identity' });
  });

  it('the role annotation without an association is IRSA, whatever the declaration', () => {
    expect(
      effectiveMechanism({
        declared: 'pod-identity',
        serviceAccountAnnotations: roleAnnotation,
        hasAssociation: false,
      }),
    ).toEqual({ mechanism: 'irsa' });
  });

  it('an association alone is Pod Identity; nothing live falls back to the declaration, then IRSA', () => {
    expect(effectiveMechanism({ hasAssociation: true })).toEqual({
      mechanism: 'pod-identity',
    });
    expect(
      effectiveMechanism({ declared: 'pod-identity', hasAssociation: false }),
    ).toEqual({ mechanism: 'pod-identity' });
    expect(
      effectiveMechanism({
        serviceAccountAnnotations: { [ANNOTATION_IRSA_MIGRATING_TO]: 'kiam' },
        hasAssociation: false,
      }),
    ).toEqual({ mechanism: 'irsa' });
  });
});
