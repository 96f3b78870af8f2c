import { EKS_ROLE_ARN_ANNOTATION } from '@backstage-irsa/plugin-irsa-common';
import { known } from '../sources';
import {
  account,
  caseOutcome,
  type CheckCase,
  coverage,
  expectedOutcome,
  rebind,
  ROLE_ARN,
  unreadable,
} from './__testUtils__/evidence';

const CASES: CheckCase[] = [
  [
    'pass',
    'healthy',
    () => {},
    'ServiceAccount payments/payments-api is annotated with the role',
  ],
  [
    'fail',
    'not annotated',
    e => {
      delete account(e).annotations[EKS_ROLE_ARN_ANNOTATION];
    },
    `ServiceAccount payments/payments-api has no ${EKS_ROLE_ARN_ANNOTATION} annotation`,
  ],
  [
    'pass',
    'no longer annotated, migrating to Pod Identity',
    e => {
      delete account(e).annotations[EKS_ROLE_ARN_ANNOTATION];
      e.mechanism = 'pod-identity';
      e.migratingFrom = 'irsa';
    },
    `Migrating to Pod Identity: ServiceAccount payments/payments-api no longer needs ${EKS_ROLE_ARN_ANNOTATION}`,
  ],
  [
    'fail',
    'typo',
    e => {
      delete account(e).annotations[EKS_ROLE_ARN_ANNOTATION];
      account(e).annotations['eks.amazonaws.com/rolearn'] = ROLE_ARN;
    },
    `The annotation is misspelt as eks.amazonaws.com/rolearn; the webhook only reads ${EKS_ROLE_ARN_ANNOTATION}`,
  ],
  [
    'fail',
    'missing',
    e => {
      e.serviceAccount = known(undefined);
    },
    'ServiceAccount payments/payments-api does not exist',
  ],
  [
    'unknown',
    'unreadable',
    e => {
      e.serviceAccount = unreadable('ServiceAccount');
    },
    'Could not check: ServiceAccount failed: unavailable (no usable answer)',
  ],
  [
    'skipped',
    'not bound',
    e => rebind(e, {}),
    'Not shown: role not bound to this entity',
  ],
];

describe('the service-account check', () => {
  it.each(CASES)('is %s (%s)', async (status, _name, change, message) => {
    expect(await caseOutcome('service-account', change)).toEqual(
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
