import { known } from '../sources';
import {
  ASSOCIATION_ID,
  association,
  caseOutcome,
  checkResult,
  type CheckCase,
  coverage,
  expectedOutcome,
  healthyPodIdentity,
  rebindWith,
  unreadable,
} from './__testUtils__/evidence';

const OTHER_ROLE = 'arn:aws:iam::111122223333:role/someone-else';

const CASES: CheckCase[] = [
  [
    'pass',
    'healthy',
    () => {},
    `Association ${ASSOCIATION_ID} gives pods of payments/payments-api the role`,
  ],
  [
    'pass',
    'cross-account',
    e => {
      e.associations = known({
        ...association(),
        targetRoleArn: 'arn:aws:iam::444455556666:role/payments-data',
      });
    },
    `Association ${ASSOCIATION_ID} gives pods of payments/payments-api the role, chained into arn:aws:iam::444455556666:role/payments-data (cross-account)`,
  ],
  [
    'fail',
    'no association',
    e => {
      e.associations = known(undefined);
      rebindWith(e);
    },
    'No Pod Identity association for ServiceAccount payments/payments-api on prod',
  ],
  [
    'fail',
    'another role (binding only warns)',
    e => {
      e.associations = known({ ...association(), roleArn: OTHER_ROLE });
      e.requireBinding = false;
      rebindWith(e);
    },
    `Association ${ASSOCIATION_ID} gives pods ${OTHER_ROLE}, not arn:aws:iam::111122223333:role/irsa-prod-payments-payments-api`,
  ],
  [
    'fail',
    'the ServiceAccount is missing',
    e => {
      e.serviceAccount = known(undefined);
    },
    `Association ${ASSOCIATION_ID} names ServiceAccount payments/payments-api, which does not exist: no pod can use it`,
  ],
  [
    'unknown',
    'association unreadable',
    e => {
      e.associations = unreadable('eks:DescribePodIdentityAssociation');
    },
    'Could not check: eks:DescribePodIdentityAssociation failed: unavailable (no usable answer)',
  ],
  [
    'skipped',
    'the association belongs to another entity',
    e => {
      e.associations = known({
        ...association(),
        tags: { 'irsa.dev/entity-ref': 'component:default/other' },
      });
      rebindWith(e);
    },
    'Not shown: role not bound to this entity',
  ],
];

describe('the pod-identity-association check', () => {
  it.each(CASES)('is %s (%s)', async (status, _name, change, message) => {
    expect(
      await caseOutcome('pod-identity-association', change, healthyPodIdentity),
    ).toEqual(expectedOutcome(status, message));
  });

  it('has cases for pass, fail or warn, and unknown or skipped', () => {
    expect(coverage(CASES)).toEqual({
      pass: true,
      failOrWarn: true,
      unknownOrSkipped: true,
    });
  });

  it('gives the create command for the missing association', async () => {
    const result = await checkResult(
      'pod-identity-association',
      e => {
        e.associations = known(undefined);
        rebindWith(e);
      },
      healthyPodIdentity,
    );
    expect(result.remediation).toBe(
      'aws eks create-pod-identity-association --cluster-name prod --namespace payments --service-account payments-api --role-arn arn:aws:iam::111122223333:role/irsa-prod-payments-payments-api --region eu-west-1, or run the IRSA template (aws:irsa:create, mechanism pod-identity) for this entity',
    );
  });

  it('shows the association and its cross-account target', async () => {
    const result = await checkResult(
      'pod-identity-association',
      e => {
        e.associations = known({
          ...association(),
          targetRoleArn: 'arn:aws:iam::444455556666:role/payments-data',
          externalId: 'generated-by-eks',
        });
      },
      healthyPodIdentity,
    );
    expect(result.evidence).toEqual({
      associationId: ASSOCIATION_ID,
      associationArn: `arn:aws:eks:eu-west-1:111122223333:podidentityassociation/prod/${ASSOCIATION_ID}`,
      roleArn: 'arn:aws:iam::111122223333:role/irsa-prod-payments-payments-api',
      expectedRoleArn:
        'arn:aws:iam::111122223333:role/irsa-prod-payments-payments-api',
      targetRoleArn: 'arn:aws:iam::444455556666:role/payments-data',
      disableSessionTags: false,
      createdAt: '2026-11-27T00:00:30.000Z',
      ownerArn: null,
      tags: {
        'irsa.dev/managed-by': 'backstage-irsa',
        'irsa.dev/entity-ref': 'component:default/payments-api',
      },
    });
  });

  it('points the association at the role when it names another', async () => {
    const result = await checkResult(
      'pod-identity-association',
      e => {
        e.associations = known({ ...association(), roleArn: OTHER_ROLE });
        e.requireBinding = false;
        rebindWith(e);
      },
      healthyPodIdentity,
    );
    expect(result.remediation).toBe(
      `aws eks update-pod-identity-association --cluster-name prod --association-id ${ASSOCIATION_ID} --role-arn arn:aws:iam::111122223333:role/irsa-prod-payments-payments-api --region eu-west-1 (or correct irsa.dev/role-arn)`,
    );
  });
});
