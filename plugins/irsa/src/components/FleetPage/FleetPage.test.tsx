import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { renderInTestApp } from '@backstage/test-utils';
import { entityRouteRef } from '@backstage/plugin-catalog-react';
import type {
  FleetEntity,
  FleetResponse,
  OrphansResponse,
} from '@backstage-irsa/plugin-irsa-common';
import type { FleetListQuery, IrsaApi } from '../../api';
import { Providers } from '../../__testUtils__/fixtures';
import { FleetPage } from './FleetPage';

const row = (overrides: Partial<FleetEntity>): FleetEntity => ({
  entityRef: 'component:default/payments-api',
  owner: 'group:default/payments',
  cluster: 'sandbox',
  namespace: 'payments',
  serviceAccount: 'payments-api',
  mechanism: 'irsa',
  status: 'pass',
  failingChecks: [],
  verifiedAt: '2026-11-27T10:00:00.000Z',
  stale: false,
  ...overrides,
});

const healthy = row({ title: 'Payments API' });
const broken = row({
  entityRef: 'component:default/inventory-sync',
  owner: 'group:default/inventory',
  namespace: 'inventory',
  serviceAccount: 'inventory-sync',
  status: 'fail',
  failingChecks: ['role', 'service-account'],
  stale: true,
});
const counts = { pass: 1, warn: 0, fail: 1, unknown: 0, none: 2 };

/** The fleet as the backend would answer the query (status filter only). */
function fakeFleet(queries: FleetListQuery[]) {
  return jest.fn(async (query: FleetListQuery = {}) => {
    queries.push(query);
    const items = [broken, healthy].filter(
      r => !query.status || r.status === query.status,
    );
    const body: FleetResponse = { items, totalItems: items.length, counts };
    return body;
  });
}

const orphans: OrphansResponse = {
  items: [
    {
      kind: 'role',
      roleArn: 'arn:aws:iam::123456789012:role/irsa-gone',
      entityRef: 'component:default/gone',
      cluster: 'sandbox',
      reason:
        'Role irsa-gone is tagged for component:default/gone, which is not in the catalog',
    },
  ],
  errors: [],
};

async function renderPage(api: Partial<IrsaApi>, deny: string[] = []) {
  return renderInTestApp(
    <Providers
      api={{
        listClusters: async () => ({
          items: [
            {
              name: 'sandbox',
              accountId: '123456789012',
              region: 'us-east-1',
              defaultMechanism: 'irsa',
            },
          ],
        }),
        listOrphans: async () => orphans,
        ...api,
      }}
      deny={deny}
    >
      <FleetPage />
    </Providers>,
    { mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef } },
  );
}

const tableRows = () =>
  screen
    .getAllByTestId('irsa-fleet-status')
    .map(cell => cell.closest('tr')!)
    .map(tr => Array.from(tr.querySelectorAll('td')).map(td => td.textContent));

describe('FleetPage', () => {
  it('shows counts per status, one row per entity linking to it, and the orphans', async () => {
    const queries: FleetListQuery[] = [];
    await renderPage({ listFleet: fakeFleet(queries) });

    expect(await screen.findByText('Payments API')).toBeInTheDocument();
    expect(screen.getByText('IAM fleet')).toBeInTheDocument();
    expect(
      ['pass', 'warn', 'fail', 'unknown', 'none'].map(
        s => screen.getByTestId(`irsa-fleet-count-${s}`).textContent,
      ),
    ).toEqual([
      'Healthy: 1',
      'Warnings: 0',
      'Broken: 1',
      'Unknown: 0',
      'Never verified: 2',
    ]);
    expect(
      screen.getByText('Entities with an IAM role (2)'),
    ).toBeInTheDocument();
    expect(tableRows()).toEqual([
      [
        'inventory-sync',
        'Broken',
        'IAM role, ServiceAccount annotation',
        'sandbox',
        'inventory',
        'inventory-sync',
        'inventory',
        'IRSA',
        '2026-11-27T10:00:00Z',
        'Stale',
      ],
      [
        'Payments API',
        'Healthy',
        '—',
        'sandbox',
        'payments',
        'payments-api',
        'payments',
        'IRSA',
        '2026-11-27T10:00:00Z',
        'Fresh',
      ],
    ]);
    expect(screen.getByText('Payments API').closest('a')).toHaveAttribute(
      'href',
      '/catalog/default/component/payments-api',
    );
    expect(queries).toEqual([{ offset: 0, limit: 25 }]);

    expect(await screen.findByTestId('irsa-orphan-role')).toHaveTextContent(
      'arn:aws:iam::123456789012:role/irsa-gone',
    );
    expect(
      screen.getByText(
        'Role irsa-gone is tagged for component:default/gone, which is not in the catalog',
      ),
    ).toBeInTheDocument();
  }, 20_000);

  it('filters by status from the counts and from the Status select, and by owner', async () => {
    const queries: FleetListQuery[] = [];
    await renderPage({ listFleet: fakeFleet(queries) });
    await screen.findByText('Payments API');

    await userEvent.click(screen.getByTestId('irsa-fleet-count-fail'));
    await waitFor(() =>
      expect(screen.queryByText('Payments API')).not.toBeInTheDocument(),
    );
    expect(tableRows().map(r => r[0])).toEqual(['inventory-sync']);
    expect(queries.at(-1)).toEqual({ status: 'fail', offset: 0, limit: 25 });
    expect(screen.getByTestId('irsa-fleet-count-fail')).toHaveAttribute(
      'aria-pressed',
      'true',
    );

    // The select shows the same filter and can clear it.
    await userEvent.click(screen.getByLabelText('Status'));
    await userEvent.click(
      within(screen.getByRole('listbox')).getByText('Healthy'),
    );
    expect(await screen.findByText('Payments API')).toBeInTheDocument();
    expect(queries.at(-1)).toEqual({ status: 'pass', offset: 0, limit: 25 });

    await userEvent.type(
      screen.getByTestId('irsa-fleet-filter-owner'),
      'payments{Enter}',
    );
    await waitFor(() =>
      expect(queries.at(-1)).toEqual({
        status: 'pass',
        owner: 'payments',
        offset: 0,
        limit: 25,
      }),
    );
    // Menus, typing and a table on two shared cores: slower than the default.
  }, 30_000);

  it("filters by mechanism and names each row's mechanism", async () => {
    const queries: FleetListQuery[] = [];
    const podIdentity = row({
      entityRef: 'component:default/orders',
      title: 'Orders',
      mechanism: 'pod-identity',
    });
    const listFleet = jest.fn(async (query: FleetListQuery = {}) => {
      queries.push(query);
      const items = [healthy, podIdentity].filter(
        r => !query.mechanism || r.mechanism === query.mechanism,
      );
      return { items, totalItems: items.length, counts };
    });
    await renderPage({ listFleet });
    await screen.findByText('Orders');
    expect(screen.getByText('EKS Pod Identity')).toBeInTheDocument();

    await userEvent.click(screen.getByLabelText('Mechanism'));
    await userEvent.click(
      within(screen.getByRole('listbox')).getByText('EKS Pod Identity'),
    );
    await waitFor(() =>
      expect(screen.queryByText('Payments API')).not.toBeInTheDocument(),
    );
    expect(queries.at(-1)).toEqual({
      mechanism: 'pod-identity',
      offset: 0,
      limit: 25,
    });
  }, 30_000);

  it('hides the orphans without irsa.fleet.read and shows an error the API returns', async () => {
    const listOrphans = jest.fn();
    await renderPage(
      {
        listFleet: jest.fn().mockRejectedValue(new Error('backend down')),
        listOrphans,
      },
      ['irsa.fleet.read'],
    );
    expect(await screen.findByText('Error: backend down')).toBeInTheDocument();
    expect(screen.queryByText('Orphans')).not.toBeInTheDocument();
    expect(listOrphans).not.toHaveBeenCalled();
  });
});
