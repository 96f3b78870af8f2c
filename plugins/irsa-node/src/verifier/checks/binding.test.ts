import { notRead } from '../sources';
import {
  caseOutcome,
  type CheckCase,
  coverage,
  expectedOutcome,
  rebind,
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
