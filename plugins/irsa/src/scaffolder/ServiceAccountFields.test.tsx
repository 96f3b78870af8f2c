import { screen, waitFor } from '@testing-library/react';
import { renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import { ResponseError } from '@backstage/errors';
import type { ApiHolder } from '@backstage/core-plugin-api';
import type { FieldExtensionComponentProps } from '@backstage/plugin-scaffolder-react';
import type { ClustersResponse } from '@backstage-irsa/plugin-irsa-common';
import { irsaApiRef, type IrsaApi } from '../api';
import {
  ClusterPickerField,
  describeCluster,
  preselectedCluster,
  validateClusterPicker,
} from './ClusterPickerField';
import {
  describeServiceAccountProblem,
  NamespaceField,
  serviceAccountTarget,
  validateNamespaceField,
} from './NamespaceField';

const clusters: ClustersResponse = {
  items: [
    {
      name: 'sandbox',
      accountId: '111122223333',
      region: 'us-east-1',
      defaultMechanism: 'irsa',
    },
    {
      name: 'sandbox-legacy',
      accountId: '111122223333',
      region: 'us-west-2',
      defaultMechanism: 'irsa',
    },
  ],
};
const target = {
  cluster: 'sandbox',
  namespace: 'payments',
  name: 'cart',
  entityRef: 'component:default/cart',
};
const holder = (api: Partial<IrsaApi>): ApiHolder => ({
  get: ref => (ref.id === irsaApiRef.id ? api : undefined) as never,
});
const validation = () => ({ addError: jest.fn() });
const badRequest = (message: string) =>
  ResponseError.fromResponse(
    new Response(
      JSON.stringify({
        error: { name: 'InputError', message },
        request: { method: 'GET', url: '/v1/clusters' },
        response: { statusCode: 400 },
      }),
      {
        status: 400,
        headers: { 'content-type': 'application/json' },
      },
    ) as never,
  );

describe('IrsaClusterPicker', () => {
  it('describes a cluster by account, region and mechanism', () => {
    expect(describeCluster(clusters.items[1])).toBe(
      'sandbox-legacy — account 111122223333, us-west-2, IRSA by default',
    );
  });

  it('preselects the current value, else a configured default, else the first cluster', () => {
    expect(preselectedCluster(clusters.items, 'sandbox-legacy', 'x')).toBe(
      'sandbox-legacy',
    );
    expect(
      preselectedCluster(clusters.items, undefined, 'sandbox-legacy'),
    ).toBe('sandbox-legacy');
    expect(preselectedCluster(clusters.items, undefined, 'gone')).toBe(
      'sandbox',
    );
    expect(preselectedCluster([], undefined, 'sandbox')).toBeUndefined();
  });

  it('lists the backend clusters and picks the first when the form has none', async () => {
    const onChange = jest.fn();
    const props = {
      formData: undefined,
      onChange,
      schema: { title: 'Cluster' },
      required: true,
      rawErrors: [],
      idSchema: { $id: 'root_cluster' },
    } as unknown as FieldExtensionComponentProps<string>;
    await renderInTestApp(
      <TestApiProvider
        apis={[[irsaApiRef, { listClusters: async () => clusters }]]}
      >
        <ClusterPickerField {...props} />
      </TestApiProvider>,
    );
    await waitFor(() => expect(onChange).toHaveBeenCalledWith('sandbox'));
    expect(onChange).toHaveBeenCalledTimes(1);
  });

  it('shows the chosen cluster in the input the browser tests wait for', async () => {
    const onChange = jest.fn();
    const props = {
      formData: 'sandbox-legacy',
      onChange,
      schema: { title: 'Cluster' },
      required: true,
      rawErrors: [],
      idSchema: { $id: 'root_cluster' },
    } as unknown as FieldExtensionComponentProps<string>;
    await renderInTestApp(
      <TestApiProvider
        apis={[[irsaApiRef, { listClusters: async () => clusters }]]}
      >
        <ClusterPickerField {...props} />
      </TestApiProvider>,
    );
    expect(
      await screen.findByText(
        'sandbox-legacy — account 111122223333, us-west-2, IRSA by default',
      ),
    ).toBeInTheDocument();
    const input = screen.getByTestId('irsa-cluster-picker');
    expect(input).toHaveAttribute('name', 'cluster');
    expect(input).toHaveValue('sandbox-legacy');
    expect(onChange).not.toHaveBeenCalled();
  });

  it('refuses a cluster the backend does not have', async () => {
    const v = validation();
    await validateClusterPicker('prod', v as never, {
      apiHolder: holder({ listClusters: async () => clusters }),
      formData: {},
      schema: {},
    });
    expect(v.addError).toHaveBeenCalledWith(
      'cluster: "prod" is not configured under irsa.clusters (configured: sandbox, sandbox-legacy)',
    );
    const ok = validation();
    await validateClusterPicker('sandbox-legacy', ok as never, {
      apiHolder: holder({ listClusters: async () => clusters }),
      formData: {},
      schema: {},
    });
    expect(ok.addError).not.toHaveBeenCalled();
  });
});

describe('IrsaNamespace', () => {
  it('finds cluster and name in the form, with configurable field names and entity prefix', () => {
    expect(
      serviceAccountTarget(
        'payments',
        { cluster: 'sandbox', name: 'cart' },
        {},
      ),
    ).toEqual(target);
    expect(
      serviceAccountTarget(
        'payments',
        { where: 'sandbox', service: 'cart' },
        {
          clusterField: 'where',
          serviceAccountField: 'service',
          entityRefPrefix: 'component:shop/',
        },
      ),
    ).toEqual({ ...target, entityRef: 'component:shop/cart' });
    expect(
      serviceAccountTarget('payments', { cluster: 'sandbox' }, {}),
    ).toBeUndefined();
    expect(
      serviceAccountTarget('', { cluster: 'sandbox', name: 'cart' }, {}),
    ).toBeUndefined();
  });

  it.each([
    [
      'a free name',
      { exists: false, managedByUs: false, namespaceAllowed: true },
      undefined,
    ],
    [
      'its own ServiceAccount',
      {
        exists: true,
        ownedBy: 'Component:default/cart',
        managedByUs: true,
        namespaceAllowed: true,
      },
      undefined,
    ],
    [
      "another entity's ServiceAccount",
      {
        exists: true,
        ownedBy: 'component:default/payments-api',
        managedByUs: true,
        namespaceAllowed: true,
      },
      'ServiceAccount payments/cart already belongs to component:default/payments-api; choose another name or namespace',
    ],
    [
      'an unmanaged ServiceAccount',
      { exists: true, managedByUs: false, namespaceAllowed: true },
      'ServiceAccount payments/cart already exists and is not managed by IRSA for Backstage; choose another name or namespace',
    ],
    [
      'a refused namespace',
      {
        exists: false,
        managedByUs: false,
        namespaceAllowed: false,
        reason:
          'namespace: payments is refused by irsa.clusters[sandbox].namespaces.deny',
      },
      'namespace: payments is refused by irsa.clusters[sandbox].namespaces.deny',
    ],
  ])('%s', (_, check, problem) => {
    expect(describeServiceAccountProblem(check, target)).toBe(problem);
  });

  it('blocks submit on a problem or a refused input, but not when the check cannot run', async () => {
    const formData = { cluster: 'sandbox', name: 'cart' };
    const run = async (api: Partial<IrsaApi>, value = 'payments') => {
      const v = validation();
      await validateNamespaceField(value, v as never, {
        apiHolder: holder(api),
        formData,
        schema: {},
        uiSchema: {},
      });
      return v.addError.mock.calls;
    };
    const checkServiceAccount = jest.fn(async () => ({
      exists: true,
      ownedBy: 'component:default/other',
      managedByUs: true,
      namespaceAllowed: true,
    }));
    expect(await run({ checkServiceAccount })).toEqual([
      [
        'ServiceAccount payments/cart already belongs to component:default/other; choose another name or namespace',
      ],
    ]);
    expect(checkServiceAccount).toHaveBeenCalledWith(
      'sandbox',
      'payments',
      'cart',
    );
    const refused = await badRequest(
      'namespace: must be a DNS-1123 label (lowercase letters, digits and "-", at most 63)',
    );
    expect(
      await run(
        {
          checkServiceAccount: async () => {
            throw refused;
          },
        },
        'Payments',
      ),
    ).toEqual([
      [
        'namespace: must be a DNS-1123 label (lowercase letters, digits and "-", at most 63)',
      ],
    ]);
    expect(
      await run({
        checkServiceAccount: async () => {
          throw new Error('Failed to fetch');
        },
      }),
    ).toEqual([]);
  });

  it('shows the live check under the field', async () => {
    const props = {
      formData: 'payments',
      onChange: jest.fn(),
      schema: { title: 'Namespace' },
      uiSchema: {},
      required: true,
      rawErrors: [],
      idSchema: { $id: 'root_namespace' },
      formContext: { formData: { cluster: 'sandbox', name: 'cart' } },
    } as unknown as FieldExtensionComponentProps<string>;
    await renderInTestApp(
      <TestApiProvider
        apis={[
          [
            irsaApiRef,
            {
              checkServiceAccount: async () => ({
                exists: false,
                managedByUs: false,
                namespaceAllowed: true,
              }),
            },
          ],
        ]}
      >
        <NamespaceField {...props} />
      </TestApiProvider>,
    );
    expect(
      await screen.findByText(
        'ServiceAccount payments/cart will be created on sandbox',
      ),
    ).toBeInTheDocument();
  });
});
