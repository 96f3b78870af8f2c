import { ConfigReader } from '@backstage/config';
import { readClusterConfig } from './clusters';

const read = (cluster: object) =>
  readClusterConfig(
    new ConfigReader({
      irsa: {
        clusters: [
          { name: 'prod', accountId: '111122223333', region: 'eu-west-1' },
          {
            name: 'edge',
            accountId: '111122223333',
            region: 'eu-west-1',
            ...cluster,
          },
        ],
      },
    }),
  );

describe('irsa.clusters[].defaultMechanism', () => {
  it('is irsa unless configured', () => {
    expect(read({}).map(c => c.defaultMechanism)).toEqual(['irsa', 'irsa']);
    expect(
      read({ defaultMechanism: 'pod-identity' }).map(c => c.defaultMechanism),
    ).toEqual(['irsa', 'pod-identity']);
  });

  it('refuses anything else, naming the key and the choices', () => {
    expect(() => read({ defaultMechanism: 'podidentity' })).toThrow(
      'irsa.clusters[1].defaultMechanism: "podidentity" must be one of irsa, pod-identity',
    );
  });
});
