import {
  CHECK_IDS,
  CHECK_TITLES,
  type CheckMechanism,
} from '@backstage-irsa/plugin-irsa-common';
import { CheckRegistry } from '../CheckRegistry';
import { builtInChecks } from '.';

// What each built-in check applies to.
const MECHANISMS: Record<string, CheckMechanism> = {
  binding: 'any',
  role: 'any',
  conflict: 'any',
  shadowing: 'any',
  permissions: 'any',
  allowlist: 'any',
  cloudtrail: 'any',
  'oidc-provider': 'irsa',
  'trust-principal': 'irsa',
  'trust-subject': 'irsa',
  'trust-audience': 'irsa',
  'service-account': 'irsa',
  'pod-injection': 'irsa',
  'credential-exchange': 'irsa',
  'pod-identity-agent': 'pod-identity',
  'pod-identity-platform': 'pod-identity',
  'pod-identity-association': 'pod-identity',
  'pod-identity-trust': 'pod-identity',
  'pod-identity-injection': 'pod-identity',
  'pod-identity-exchange': 'pod-identity',
};

describe('builtInChecks', () => {
  it('are the CHECK_IDS, in order, titled as the card names them', () => {
    expect(builtInChecks.map(c => [c.id, c.title, c.mechanism])).toEqual(
      CHECK_IDS.map(id => [id, CHECK_TITLES[id], MECHANISMS[id]]),
    );
  });

  it('register like any other checks, in the same order, per mechanism', () => {
    const registry = new CheckRegistry(builtInChecks);
    const of = (...mechanisms: CheckMechanism[]) =>
      CHECK_IDS.filter(id => mechanisms.includes(MECHANISMS[id]));
    expect(registry.checksFor('irsa').map(c => c.id)).toEqual(
      of('irsa', 'any'),
    );
    expect(registry.checksFor('pod-identity').map(c => c.id)).toEqual(
      of('pod-identity', 'any'),
    );
    expect(registry.checksFor('pod-identity', 'irsa').map(c => c.id)).toEqual([
      ...CHECK_IDS,
    ]);
  });
});
