import { known } from '../sources';
import {
  caseOutcome,
  type CheckCase,
  coverage,
  expectedOutcome,
  facts,
  rebind,
  unreadable,
  valueOf,
} from './__testUtils__/evidence';

const CASES: CheckCase[] = [
  ['pass', 'healthy', () => {}, 'Covers the 1 NAT IPs and the VPC'],
  [
    'warn',
    'no NAT IPs found',
    e => {
      e.facts = known({
        ...facts,
        natPublicIps: [],
        natPublicIpSource: 'none',
      });
    },
    'No NAT gateway IPs were found for the cluster subnets: the allowlist cannot be compared',
  ],
  [
    'fail',
    'misses a NAT IP',
    e => {
      e.facts = known({
        ...facts,
        natPublicIps: ['203.0.113.1', '203.0.113.2'],
      });
    },
    'The allowlist misses 203.0.113.2/32: calls from there are denied',
  ],
  [
    'fail',
    'no allowlist',
    e => {
      e.policies = known([valueOf(e.policies)[0]]);
    },
    'No IP allowlist policy is attached: the credentials work from anywhere',
  ],
  [
    'unknown',
    'unreadable',
    e => {
      e.policies = unreadable('role policies');
    },
    'Could not check: role policies failed: unavailable (no usable answer)',
  ],
  [
    'skipped',
    'not bound',
    e => rebind(e, {}),
    'Not shown: role not bound to this entity',
  ],
];

describe('the allowlist check', () => {
  it.each(CASES)('is %s (%s)', async (status, _name, change, message) => {
    expect(await caseOutcome('allowlist', change)).toEqual(
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
