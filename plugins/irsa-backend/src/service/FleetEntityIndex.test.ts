import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import type { Entity } from '@backstage/catalog-model';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import {
  StaticClusterRegistry,
  type IrsaCluster,
} from '@backstage-irsa/plugin-irsa-node';
import { FleetEntityIndex } from './FleetEntityIndex';

const cluster = (name: string): IrsaCluster => ({
  name,
  eksClusterName: name,
  accountId: '111122223333',
  region: 'eu-west-1',
  partition: 'aws',
});

function entity(
  name: string,
  annotations: Record<string, string>,
  extra?: { owner?: unknown; title?: string; namespace?: string },
): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: {
      name,
      namespace: extra?.namespace ?? 'default',
      ...(extra?.title ? { title: extra.title } : {}),
      annotations,
    },
    spec: { owner: extra?.owner ?? 'payments' },
  };
}

/** A catalog whose listing the test changes; every read is recorded. */
function fakeCatalog(initial: Entity[]) {
  const state = { items: initial, fail: false };
  const getEntities = jest.fn(async () => {
    if (state.fail) throw new Error('catalog down');
    return { items: state.items };
  });
  return {
    state,
    getEntities,
    catalog: { getEntities } as unknown as CatalogService,
  };
}

function indexOver(
  catalog: CatalogService,
  options?: { clusters?: IrsaCluster[]; now?: () => number },
) {
  return new FleetEntityIndex({
    catalog,
    auth: mockServices.auth(),
    clusters: new StaticClusterRegistry(options?.clusters ?? [cluster('prod')]),
    logger: mockServices.logger.mock(),
    maxAgeMs: 10_000,
    now: options?.now,
  });
}

describe('FleetEntityIndex', () => {
  it('reads the annotated entities with its own credentials and only the fields the list shows, as sorted rows', async () => {
    const { catalog, getEntities } = fakeCatalog([
      entity(
        'zeta',
        {
          'irsa.dev/cluster': 'prod',
          'irsa.dev/service-account': 'pay/zeta',
          'irsa.dev/mechanism': 'pod-identity',
        },
        { title: 'Zeta', owner: 'user:default/jane' },
      ),
      entity(
        'Alpha',
        {
          'irsa.dev/service-account': ' pay/alpha ',
          'irsa.dev/mechanism': 'eks',
        },
        { namespace: 'team-a', owner: 'Payments' },
      ),
      entity('beta', { 'irsa.dev/service-account': 'beta' }, { owner: 42 }),
    ]);
    const index = indexOver(catalog);

    expect(await index.entries()).toEqual([
      {
        entityRef: 'component:default/beta',
        key: 'component:default/beta',
        owner: '',
        ownerKey: '',
        cluster: 'prod',
        namespace: '',
        serviceAccount: 'beta',
        declaredMechanism: 'irsa',
      },
      {
        entityRef: 'component:default/zeta',
        key: 'component:default/zeta',
        title: 'Zeta',
        owner: 'user:default/jane',
        ownerKey: 'user:default/jane',
        cluster: 'prod',
        namespace: 'pay',
        serviceAccount: 'zeta',
        declaredMechanism: 'pod-identity',
      },
      {
        // Owners default to groups of the entity's namespace; an unknown
        // mechanism is IRSA's, as for an absent one.
        entityRef: 'component:team-a/alpha',
        key: 'component:team-a/alpha',
        owner: 'group:team-a/payments',
        ownerKey: 'group:team-a/payments',
        cluster: 'prod',
        namespace: 'pay',
        serviceAccount: 'alpha',
        declaredMechanism: 'irsa',
      },
    ]);
    expect(getEntities).toHaveBeenCalledTimes(1);
    expect(getEntities).toHaveBeenCalledWith(
      {
        filter: {
          'metadata.annotations.irsa.dev/service-account': expect.any(Symbol),
        },
        fields: [
          'kind',
          'metadata.namespace',
          'metadata.name',
          'metadata.title',
          'metadata.annotations',
          'spec.owner',
        ],
      },
      { credentials: mockCredentials.service('plugin:test') },
    );
  });

  it('leaves the cluster empty when the annotation omits it and several clusters are configured', async () => {
    const { catalog } = fakeCatalog([
      entity('a', { 'irsa.dev/service-account': 'pay/a' }),
    ]);
    const [row] = await indexOver(catalog, {
      clusters: [cluster('prod'), cluster('stage')],
    }).entries();
    expect(row.cluster).toBe('');
  });

  it('answers from one listing for a burst of callers and until it is older than the max age; then answers the older listing while the next is read', async () => {
    let now = 0;
    const { catalog, getEntities, state } = fakeCatalog([
      entity('a', { 'irsa.dev/service-account': 'pay/a' }),
    ]);
    const index = indexOver(catalog, { now: () => now });
    const refs = async () => (await index.entries()).map(e => e.entityRef);

    const burst = await Promise.all([index.entries(), index.entries()]);
    expect(burst[0]).toBe(burst[1]);
    expect(getEntities).toHaveBeenCalledTimes(1);

    state.items = [
      entity('a', { 'irsa.dev/service-account': 'pay/a' }),
      entity('b', { 'irsa.dev/service-account': 'pay/b' }),
    ];
    now = 9_999;
    expect(await refs()).toEqual(['component:default/a']);
    expect(getEntities).toHaveBeenCalledTimes(1);

    now = 10_000;
    // The older listing answers at once; the refresh starts behind it.
    expect(await refs()).toEqual(['component:default/a']);
    expect(getEntities).toHaveBeenCalledTimes(2);
    expect(await refs()).toEqual([
      'component:default/a',
      'component:default/b',
    ]);
    expect(getEntities).toHaveBeenCalledTimes(2);
  });

  it('fails the first read with the catalog error; a failed refresh keeps the older listing and is retried on the next call', async () => {
    let now = 0;
    const { catalog, getEntities, state } = fakeCatalog([
      entity('a', { 'irsa.dev/service-account': 'pay/a' }),
    ]);
    const index = indexOver(catalog, { now: () => now });
    state.fail = true;
    await expect(index.entries()).rejects.toThrow('catalog down');

    state.fail = false;
    expect(await index.entries()).toHaveLength(1);

    state.fail = true;
    now = 20_000;
    expect(await index.entries()).toHaveLength(1);
    // Let the failed background refresh settle.
    await new Promise(resolve => setImmediate(resolve));
    state.fail = false;
    state.items = [];
    expect(await index.entries()).toHaveLength(1);
    await new Promise(resolve => setImmediate(resolve));
    expect(await index.entries()).toHaveLength(0);
    expect(getEntities).toHaveBeenCalledTimes(4);
  });
});
