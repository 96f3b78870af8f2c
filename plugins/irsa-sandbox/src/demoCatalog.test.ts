import fs from 'node:fs';
import path from 'node:path';
import { SANDBOX_SCENARIOS, SANDBOX_WIRING_SCENARIOS } from '.';

// The demo catalog the demo backend loads (app-config.yaml).
const ENTITIES = path.resolve(__dirname, '../../../examples/entities.yaml');

/** Each Component document's name and the `irsa.dev/*` annotations it sets. */
function components() {
  return fs
    .readFileSync(ENTITIES, 'utf8')
    .split(/^---$/m)
    .filter(doc => /^kind: Component$/m.test(doc))
    .map(doc => ({
      name: /^ {2}name: (.+)$/m.exec(doc)?.[1],
      owner: /^ {2}owner: (.+)$/m.exec(doc)?.[1],
      annotations: Object.fromEntries(
        [...doc.matchAll(/^ {4}(irsa\.dev\/[a-z-]+): (.+)$/gm)].map(m => [
          m[1],
          m[2],
        ]),
      ),
    }));
}

describe('the demo catalog (examples/entities.yaml)', () => {
  it('has one Component per seeded workload, annotated with its cluster, ServiceAccount, role and mechanism', () => {
    const expected = [
      ...SANDBOX_SCENARIOS.map(s => ({ ...s, mechanism: 'irsa' })),
      ...SANDBOX_WIRING_SCENARIOS,
    ].map(s => ({
      name: s.entityRef.replace('component:default/', ''),
      owner: 'guests',
      annotations: {
        'irsa.dev/cluster': s.cluster,
        'irsa.dev/service-account': `${s.namespace}/${s.serviceAccount}`,
        'irsa.dev/role-arn': s.roleArn,
        // Absent means IRSA.
        ...(s.mechanism === 'pod-identity'
          ? { 'irsa.dev/mechanism': 'pod-identity' }
          : {}),
      },
    }));
    expect(components()).toEqual(expected);
  });
});
