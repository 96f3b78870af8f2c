import { GatewayError } from '../../gateways/errors';
import { known } from '../sources';
import {
  association,
  caseOutcome,
  checkResult,
  type CheckCase,
  coverage,
  expectedOutcome,
  healthyPodIdentity,
  unreadable,
} from './__testUtils__/evidence';

const PROVEN =
  'proven instead: the association gives this ServiceAccount the role, the trust lets EKS assume it for this workload, and the agent runs';

const CASES: CheckCase[] = [
  [
    'pass',
    'exchanged',
    () => {},
    'A token bound to pod payments-api-1 was exchanged for arn:aws:sts::111122223333:assumed-role/irsa-prod-payments-payments-api/eks-prod-payments-a1b2c3',
  ],
  [
    'fail',
    'refused',
    e => {
      e.podIdentityExchange = known({
        kind: 'refused',
        pod: 'payments-api-1',
        error: new GatewayError({
          kind: 'access-denied',
          operation: 'eks-auth:AssumeRoleForPodIdentity',
          code: 'AccessDeniedException',
          message: 'raw provider text with arn:aws:iam::999:role/x',
        }),
      });
    },
    'AssumeRoleForPodIdentity was refused: AccessDeniedException',
  ],
  [
    'fail',
    'another role handed out',
    e => {
      e.podIdentityExchange = known({
        kind: 'exchanged',
        pod: 'payments-api-1',
        identity: {
          assumedRoleArn:
            'arn:aws:sts::111122223333:assumed-role/someone-else/s',
        },
      });
    },
    'EKS Auth handed out arn:aws:sts::111122223333:assumed-role/someone-else/s, not arn:aws:iam::111122223333:role/irsa-prod-payments-payments-api',
  ],
  [
    'unknown',
    'the exchange did not answer',
    e => {
      e.podIdentityExchange = unreadable('eks-auth:AssumeRoleForPodIdentity');
    },
    'Could not check: eks-auth:AssumeRoleForPodIdentity failed: unavailable (no usable answer)',
  ],
  [
    'skipped',
    'the agent is missing',
    e => {
      e.agent = known({ kind: 'none' });
    },
    'Skipped: Pod Identity agent did not pass',
  ],
];

describe('the pod-identity-exchange check', () => {
  it.each(CASES)('is %s (%s)', async (status, _name, change, message) => {
    expect(
      await caseOutcome('pod-identity-exchange', change, healthyPodIdentity),
    ).toEqual(expectedOutcome(status, message));
  });

  it('has cases for pass, fail or warn, and unknown or skipped', () => {
    expect(coverage(CASES)).toEqual({
      pass: true,
      failOrWarn: true,
      unknownOrSkipped: true,
    });
  });

  it('is skipped when off, saying why AWS reserves the API and what stands as the proof', async () => {
    const result = await checkResult(
      'pod-identity-exchange',
      e => {
        e.podIdentityExchange = known({ kind: 'disabled' });
      },
      healthyPodIdentity,
    );
    expect(result).toMatchObject({
      status: 'skipped',
      message: `Not run: AWS reserves eks-auth:AssumeRoleForPodIdentity for the EKS Pod Identity Agent, so calling it from Backstage is opt-in (irsa.verification.podIdentityExchange, and eks-auth:AssumeRoleForPodIdentity for Backstage's identity); ${PROVEN}`,
      evidence: { reason: 'disabled' },
    });
    expect(result.remediation).toBeUndefined();
  });

  it('is skipped without a running pod to bind the token to', async () => {
    const result = await checkResult(
      'pod-identity-exchange',
      e => {
        e.podIdentityExchange = known({ kind: 'no-running-pod' });
      },
      healthyPodIdentity,
    );
    expect(result).toMatchObject({
      status: 'skipped',
      message: `Not run: no running pod of payments/payments-api to bind a token to (EKS Auth only accepts pod-bound tokens); ${PROVEN}`,
    });
  });

  it('never shows the provider text of a refusal', async () => {
    const result = await checkResult(
      'pod-identity-exchange',
      e => {
        e.podIdentityExchange = known({
          kind: 'refused',
          pod: 'payments-api-1',
          error: new GatewayError({
            kind: 'access-denied',
            operation: 'eks-auth:AssumeRoleForPodIdentity',
            code: 'AccessDeniedException',
            message: 'raw provider text with arn:aws:iam::999:role/x',
          }),
        });
      },
      healthyPodIdentity,
    );
    expect(result.evidence).toEqual({
      pod: 'payments-api-1',
      code: 'AccessDeniedException',
      reason:
        "eks-auth:AssumeRoleForPodIdentity: access denied to Backstage's identity (AccessDeniedException)",
    });
    expect(JSON.stringify(result)).not.toContain('raw provider text');
  });

  it('accepts the cross-account target role EKS chains into', async () => {
    const result = await checkResult(
      'pod-identity-exchange',
      e => {
        e.associations = known({
          ...association(),
          targetRoleArn: 'arn:aws:iam::444455556666:role/payments-data',
        });
        e.podIdentityExchange = known({
          kind: 'exchanged',
          pod: 'payments-api-1',
          identity: {
            assumedRoleArn:
              'arn:aws:sts::444455556666:assumed-role/payments-data/s',
          },
        });
      },
      healthyPodIdentity,
    );
    expect(result.status).toBe('pass');
  });
});
