import { known } from '../sources';
import {
  caseOutcome,
  checkResult,
  type CheckCase,
  container,
  coverage,
  expectedOutcome,
  healthyPodIdentity,
  irsaEnv,
  pod,
  rebind,
  unreadable,
  valueOf,
} from './__testUtils__/evidence';
import type { Evidence } from '../sources';

const SECRET_VALUE = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const app = (e: Evidence) => valueOf(e.pods)[0].containers[0];

const CASES: CheckCase[] = [
  [
    'pass',
    'nothing set',
    () => {},
    'No container of the 1 pods sets AWS keys, a profile or credential files',
  ],
  [
    'fail',
    'literal static keys',
    e => {
      Object.assign(app(e).env, {
        AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
        AWS_SECRET_ACCESS_KEY: SECRET_VALUE,
      });
    },
    'Shadowed: container app sets AWS_ACCESS_KEY_ID from a literal value; container app sets AWS_SECRET_ACCESS_KEY from a literal value: these can silently win over IRSA and Pod Identity',
  ],
  [
    'fail',
    'keys from a Secret',
    e => {
      Object.assign(app(e).env, {
        AWS_ACCESS_KEY_ID: undefined,
        AWS_SECRET_ACCESS_KEY: undefined,
      });
      app(e).secretEnv = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'];
    },
    'Shadowed: container app sets AWS_ACCESS_KEY_ID from a Secret; container app sets AWS_SECRET_ACCESS_KEY from a Secret: these can silently win over IRSA and Pod Identity',
  ],
  [
    'fail',
    'a profile',
    e => {
      app(e).env.AWS_PROFILE = 'legacy';
    },
    'Shadowed: container app sets AWS_PROFILE from a literal value: these can silently win over IRSA and Pod Identity',
  ],
  [
    'fail',
    'credential files mounted from a Secret',
    e => {
      app(e).secretMounts = [
        { path: '/home/app/.aws', secretName: 'aws-credentials' },
        { path: '/etc/tls', secretName: 'tls' },
      ];
    },
    'Shadowed: container app mounts Secret aws-credentials at /home/app/.aws: these can silently win over IRSA and Pod Identity',
  ],
  [
    'warn',
    'every key of a Secret as variables',
    e => {
      app(e).envFromSecrets = ['payments-config'];
    },
    'Possibly shadowed: container app takes every key of Secret payments-config as variables',
  ],
  [
    'unknown',
    'pods unreadable',
    e => {
      e.pods = unreadable('pods');
    },
    'Could not check: pods failed: unavailable (no usable answer)',
  ],
  [
    'skipped',
    'not bound',
    e => rebind(e, {}),
    'Not shown: role not bound to this entity',
  ],
];

describe('the shadowing check', () => {
  it.each(CASES)('is %s (%s)', async (status, _name, change, message) => {
    expect(await caseOutcome('shadowing', change)).toEqual(
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

  it('names containers and variables, never their values, once per container across pods', async () => {
    const result = await checkResult(
      'shadowing',
      e => {
        const env = { ...irsaEnv(), AWS_SECRET_ACCESS_KEY: SECRET_VALUE };
        e.pods = known([
          pod('payments-api-1', [container(env)]),
          pod('payments-api-2', [container(env)]),
        ]);
      },
      healthyPodIdentity,
    );
    expect(result.evidence).toEqual({
      pods: 2,
      findings: [
        {
          container: 'app',
          what: 'AWS_SECRET_ACCESS_KEY',
          source: 'a literal value',
          severity: 'fail',
          pods: ['payments-api-1', 'payments-api-2'],
        },
      ],
    });
    expect(result.remediation).toBe(
      'remove AWS_SECRET_ACCESS_KEY from container app (static keys come first in every SDK chain). Then restart the pods.',
    );
    expect(JSON.stringify(result)).not.toContain(SECRET_VALUE);
  });

  it('fails on what certainly shadows and leaves the maybe to the evidence', async () => {
    const result = await checkResult('shadowing', e => {
      app(e).envFromSecrets = ['payments-config'];
      app(e).env.AWS_CONFIG_FILE = '/config/aws';
    });
    expect(result.status).toBe('fail');
    expect(result.message).toBe(
      'Shadowed: container app sets AWS_CONFIG_FILE from a literal value: these can silently win over IRSA and Pod Identity',
    );
    expect(result.evidence.findings).toHaveLength(2);
  });
});
