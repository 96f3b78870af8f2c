import { known, notRead } from '../sources';
import {
  ASSOCIATION_ID,
  account,
  association,
  caseOutcome,
  checkResult,
  type CheckCase,
  coverage,
  expectedOutcome,
  healthyPodIdentity,
  rebind,
  rebindWith,
  role,
} from './__testUtils__/evidence';

const CASES: CheckCase[] = [
  [
    'pass',
    'healthy',
    () => {},
    'Entity, ServiceAccount and role belong together (ServiceAccount payments/payments-api is tied to the role by its irsa.dev/entity-ref annotation)',
  ],
  [
    'fail',
    'role of another entity',
    e => rebind(e, { 'irsa.dev/entity-ref': 'component:default/other' }),
    'Not bound to this entity: the role is tagged irsa.dev/entity-ref for another entity',
  ],
  [
    'warn',
    'not bound, requireBinding off',
    e => {
      rebind(e, {});
      e.requireBinding = false;
    },
    'Not bound to this entity: the role has no irsa.dev/entity-ref tag (irsa.verification.requireBinding is off: the other checks still run)',
  ],
  [
    'unknown',
    'role unreadable',
    e => {
      e.binding = notRead('iam:GetRole did not answer within 10 ms');
    },
    'Could not check: iam:GetRole did not answer within 10 ms',
  ],
];

describe('the binding check', () => {
  it.each(CASES)('is %s (%s)', async (status, _name, change, message) => {
    expect(await caseOutcome('binding', change)).toEqual(
      expectedOutcome(status, message),
    );
  });

  it('has cases for pass, fail or warn, and unknown or skipped', () => {
    expect(coverage(CASES)).toEqual({
      pass: true,
      failOrWarn: true,
      unknownOrSkipped: true,
    });
  });
});

describe('the binding check on Pod Identity', () => {
  const POD_IDENTITY_CASES: CheckCase[] = [
    [
      'pass',
      'healthy',
      () => {},
      `Entity, ServiceAccount and role belong together (Pod Identity association ${ASSOCIATION_ID} gives pods the role)`,
    ],
    [
      'pass',
      'an untagged association of the role',
      e => {
        e.associations = known({ ...association(), tags: {} });
        rebindWith(e);
      },
      `Entity, ServiceAccount and role belong together (Pod Identity association ${ASSOCIATION_ID} gives pods the role)`,
    ],
    [
      'fail',
      "another entity's association",
      e => {
        e.associations = known({
          ...association(),
          tags: { 'irsa.dev/entity-ref': 'component:default/other' },
        });
        rebindWith(e);
      },
      'Not bound to this entity: the Pod Identity association of payments/payments-api belongs to another entity',
    ],
    [
      'fail',
      'an association giving pods another role',
      e => {
        e.associations = known({
          ...association(),
          roleArn: 'arn:aws:iam::111122223333:role/someone-else',
        });
        rebindWith(e);
      },
      'Not bound to this entity: the Pod Identity association of payments/payments-api gives pods another role',
    ],
  ];

  it.each(POD_IDENTITY_CASES)(
    'is %s (%s)',
    async (status, _name, change, message) => {
      expect(await caseOutcome('binding', change, healthyPodIdentity)).toEqual(
        expectedOutcome(status, message),
      );
    },
  );

  it("ties the ServiceAccount to the role through the entity's association", async () => {
    const result = await checkResult(
      'binding',
      e => {
        // Neither the ownership annotation, nor the tag, nor the trust.
        delete account(e).annotations['irsa.dev/entity-ref'];
        delete role(e).tags['irsa.dev/service-account'];
        role(e).trustPolicy.Statement = [];
        rebindWith(e);
      },
      healthyPodIdentity,
    );
    expect(result.evidence.rules).toContainEqual({
      rule: 'service-account-tie',
      ok: true,
      detail:
        'ServiceAccount payments/payments-api is tied to the role by its Pod Identity association',
    });
  });

  it('ties it through a Pod Identity trust naming the namespace and ServiceAccount', async () => {
    const result = await checkResult(
      'binding',
      e => {
        delete account(e).annotations['irsa.dev/entity-ref'];
        delete role(e).tags['irsa.dev/service-account'];
        e.associations = known({ ...association(), tags: {} });
        rebindWith(e);
      },
      healthyPodIdentity,
    );
    expect(result.evidence.rules).toContainEqual({
      rule: 'service-account-tie',
      ok: true,
      detail:
        "ServiceAccount payments/payments-api is tied to the role by the role's trust policy",
    });
  });

  it("proves ownership by the association's tag when the role is gone", async () => {
    const result = await checkResult(
      'binding',
      e => {
        delete account(e).annotations['irsa.dev/entity-ref'];
        e.role = known(undefined);
        rebindWith(e);
      },
      healthyPodIdentity,
    );
    expect(result.status).toBe('pass');
    expect(result.message).toBe(
      'Entity, ServiceAccount and role belong together (the role irsa-prod-payments-payments-api does not exist; the Pod Identity association of payments/payments-api belongs to this entity)',
    );
  });
});
