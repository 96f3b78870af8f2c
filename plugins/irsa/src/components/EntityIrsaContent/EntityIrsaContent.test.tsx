import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { renderInTestApp } from '@backstage/test-utils';
import type {
  VerificationReport,
  ReportSummary,
  StoredReportResponse,
} from '@backstage-irsa/plugin-irsa-common';
import type { IrsaApi } from '../../api';
import { Providers, report, stored } from '../../__testUtils__/fixtures';
import { scaffolderTemplateRouteRef } from '../../routes';
import { EntityIrsaContent } from './EntityIrsaContent';

function summary(overrides: Partial<ReportSummary>): ReportSummary {
  return {
    status: 'pass',
    verifiedAt: '2026-11-24T08:00:00.000Z',
    durationMs: 30,
    trigger: 'schedule',
    counts: { pass: 12, warn: 0, fail: 0, unknown: 0, skipped: 0 },
    failingChecks: [],
    ...overrides,
  };
}

const HISTORY: ReportSummary[] = [
  summary({
    status: 'fail',
    verifiedAt: '2026-11-24T10:00:00.000Z',
    trigger: 'manual',
    counts: { pass: 11, warn: 0, fail: 1, unknown: 0, skipped: 0 },
    failingChecks: ['trust-subject'],
  }),
  summary({ verifiedAt: '2026-11-24T09:00:00.000Z' }),
  summary({ verifiedAt: '2026-11-24T08:00:00.000Z', trigger: 'provision' }),
];

const FORM_DATA = encodeURIComponent(
  JSON.stringify({ entityRef: 'component:default/payments-api' }),
);

async function renderTab(
  api: Partial<IrsaApi>,
  options: { deny?: string[]; asked?: string[]; bindTemplate?: boolean } = {},
) {
  return renderInTestApp(
    <Providers api={api} deny={options.deny} asked={options.asked}>
      <EntityIrsaContent />
    </Providers>,
    options.bindTemplate === false
      ? undefined
      : {
          mountedRoutes: {
            '/scaffolder/templates/:namespace/:templateName':
              scaffolderTemplateRouteRef,
          },
        },
  );
}

const changeLines = (item: HTMLElement) =>
  within(item)
    .getAllByTestId('irsa-history-change')
    .map(el => el.textContent);

describe('EntityIrsaContent', () => {
  it('shows every check with its evidence, the policy documents and the allowlist', async () => {
    await renderTab({
      getReport: jest.fn().mockResolvedValue(stored(report())),
      getHistory: jest.fn().mockResolvedValue({ items: [] }),
    });
    await screen.findByTestId('irsa-overall');
    expect(
      screen
        .getAllByTestId(/^irsa-check-/)
        .map(el => [el.dataset.testid, el.dataset.status]),
    ).toEqual(report().checks.map(c => [`irsa-check-${c.id}`, c.status]));
    expect(
      screen.getByTestId('irsa-remediation-pod-injection'),
    ).toHaveTextContent(
      'kubectl rollout restart deployment -n billing billing-api',
    );
    // Every check but the one with empty evidence (trust-audience).
    expect(screen.getAllByText('Show evidence')).toHaveLength(13);
    expect(
      screen.getByRole('link', { name: /Open in the AWS console/ }),
    ).toHaveAttribute(
      'href',
      'https://console.aws.amazon.com/iam/home#/roles/details/irsa-sandbox-payments-payments-api',
    );
    expect(
      screen.getByText(/ServiceAccount payments\/payments-api on/),
    ).toHaveTextContent(
      'ServiceAccount payments/payments-api on cluster sandbox',
    );
    expect(
      within(screen.getByTestId('irsa-policies')).getByText('AWS-managed'),
    ).toBeInTheDocument();
    await userEvent.click(
      within(screen.getByTestId('irsa-policies')).getByText('Show document'),
    );
    // The document renders after the expand's transition: on two busy
    // cores (the whole suite at once) that outlasts the default second.
    expect(
      await screen.findByText(/"Action": "s3:GetObject"/, undefined, {
        timeout: 10_000,
      }),
    ).toBeInTheDocument();
    expect(
      within(screen.getByTestId('irsa-allowlist')).getByText(
        /missing from the policy/,
      ),
    ).toHaveTextContent(
      '203.0.113.20/32 — NAT gateway IP (missing from the policy)',
    );
    // The first render of a large tree in jsdom is slow on a shared machine.
  }, 20_000);

  it('shows the history newest first, each report with what changed since the one before', async () => {
    const getHistory = jest.fn().mockResolvedValue({ items: HISTORY });
    await renderTab({
      getReport: jest.fn().mockResolvedValue(stored(report())),
      getHistory,
    });
    const items = await screen.findAllByTestId('irsa-history-item');
    expect(getHistory).toHaveBeenCalledWith(
      'component:default/payments-api',
      21,
    );
    expect(
      items.map(item => [item.dataset.verifiedAt, item.dataset.status]),
    ).toEqual([
      ['2026-11-24T10:00:00.000Z', 'fail'],
      ['2026-11-24T09:00:00.000Z', 'pass'],
      ['2026-11-24T08:00:00.000Z', 'pass'],
    ]);
    expect(changeLines(items[0])).toEqual([
      'status: pass → fail',
      'trust-subject: passing → failing',
    ]);
    expect(items[0]).toHaveTextContent('manual');
    expect(items[0]).toHaveTextContent('11 pass · 1 fail');
    expect(changeLines(items[1])).toEqual(['no change']);
    expect(changeLines(items[2])).toEqual(['first report in the history']);
    expect(items[2]).toHaveTextContent('provision');
  });

  it('reads the history again after Re-verify stores a new report', async () => {
    let finish!: (value: StoredReportResponse) => void;
    const verify = jest.fn(
      () => new Promise<StoredReportResponse>(resolve => (finish = resolve)),
    );
    const newest = summary({
      status: 'fail',
      verifiedAt: '2026-11-24T11:00:00.000Z',
      trigger: 'manual',
      counts: { pass: 11, warn: 0, fail: 1, unknown: 0, skipped: 0 },
      failingChecks: ['trust-subject'],
    });
    const getHistory = jest
      .fn()
      .mockResolvedValueOnce({ items: HISTORY })
      .mockResolvedValueOnce({ items: [newest, ...HISTORY] });
    await renderTab({
      getReport: jest.fn().mockResolvedValue(stored(report())),
      getHistory,
      verify,
    });
    expect(await screen.findAllByTestId('irsa-history-item')).toHaveLength(3);
    await userEvent.click(screen.getByRole('button', { name: 'Re-verify' }));
    expect(
      screen.getByText('Verifying: asking AWS and the cluster…'),
    ).toBeInTheDocument();
    finish(stored(report({ verifiedAt: '2026-11-24T11:00:00.000Z' })));
    await waitFor(() =>
      expect(screen.getAllByTestId('irsa-history-item')).toHaveLength(4),
    );
    expect(getHistory).toHaveBeenCalledTimes(2);
    expect(changeLines(screen.getAllByTestId('irsa-history-item')[0])).toEqual([
      'no change',
    ]);
  });

  it('says when the history is empty, and shows a history error', async () => {
    await renderTab({
      getReport: jest.fn().mockResolvedValue(stored(report())),
      getHistory: jest.fn().mockResolvedValue({ items: [] }),
    });
    expect(
      await screen.findByText('No reports stored yet.'),
    ).toBeInTheDocument();
  });

  it('shows a history load error in an error panel', async () => {
    await renderTab({
      getReport: jest.fn().mockResolvedValue(stored(report())),
      getHistory: jest.fn().mockRejectedValue(new Error('history is down')),
    });
    expect(await screen.findByRole('alert')).toHaveTextContent(
      'Error: history is down',
    );
  });

  it('links Decommission to the template with the entity filled in, for callers with irsa.role.delete', async () => {
    await renderTab({
      getReport: jest.fn().mockResolvedValue(stored(report())),
      getHistory: jest.fn().mockResolvedValue({ items: [] }),
    });
    expect(
      await screen.findByRole('button', { name: 'Decommission' }),
    ).toHaveAttribute(
      'href',
      `/scaffolder/templates/default/irsa-decommission?formData=${FORM_DATA}`,
    );
  });

  it('falls back to the scaffolder at /create when the app has not bound the template route', async () => {
    await renderTab(
      {
        getReport: jest.fn().mockResolvedValue(stored(report())),
        getHistory: jest.fn().mockResolvedValue({ items: [] }),
      },
      { bindTemplate: false },
    );
    expect(
      await screen.findByRole('button', { name: 'Decommission' }),
    ).toHaveAttribute(
      'href',
      `/create/templates/default/irsa-decommission?formData=${FORM_DATA}`,
    );
  });

  it('hides Decommission without irsa.role.delete', async () => {
    const asked: string[] = [];
    await renderTab(
      {
        getReport: jest.fn().mockResolvedValue(stored(report())),
        getHistory: jest.fn().mockResolvedValue({ items: [] }),
      },
      { deny: ['irsa.role.delete'], asked },
    );
    expect(
      await screen.findByRole('button', { name: 'Re-verify' }),
    ).toBeInTheDocument();
    await waitFor(() => expect(asked).toContain('irsa.role.delete'));
    expect(
      screen.queryByRole('button', { name: 'Decommission' }),
    ).not.toBeInTheDocument();
  });

  it('offers the next migration step: a move to Pod Identity for an IRSA report', async () => {
    await renderTab({
      getReport: jest.fn().mockResolvedValue(stored(report())),
      getHistory: jest.fn().mockResolvedValue({ items: [] }),
    });
    const formData = encodeURIComponent(
      JSON.stringify({
        entityRef: 'component:default/payments-api',
        to: 'pod-identity',
        step: 'start',
      }),
    );
    expect(
      await screen.findByRole('button', { name: 'Move to EKS Pod Identity' }),
    ).toHaveAttribute(
      'href',
      `/scaffolder/templates/default/irsa-migrate?formData=${formData}`,
    );
  });

  it('offers to finish a migration under way', async () => {
    const migrating: VerificationReport = {
      ...report(),
      mechanism: 'pod-identity',
      migration: { from: 'irsa', to: 'pod-identity', podsOnOld: 0, pods: 2 },
    };
    await renderTab({
      getReport: jest.fn().mockResolvedValue(stored(migrating)),
      getHistory: jest.fn().mockResolvedValue({ items: [] }),
    });
    const formData = encodeURIComponent(
      JSON.stringify({
        entityRef: 'component:default/payments-api',
        to: 'pod-identity',
        step: 'finish',
      }),
    );
    expect(
      await screen.findByRole('button', {
        name: 'Finish the move to EKS Pod Identity',
      }),
    ).toHaveAttribute(
      'href',
      `/scaffolder/templates/default/irsa-migrate?formData=${formData}`,
    );
  });

  it('hides the migration button without irsa.role.migrate', async () => {
    const asked: string[] = [];
    await renderTab(
      {
        getReport: jest.fn().mockResolvedValue(stored(report())),
        getHistory: jest.fn().mockResolvedValue({ items: [] }),
      },
      { deny: ['irsa.role.migrate'], asked },
    );
    await screen.findByRole('button', { name: 'Re-verify' });
    await waitFor(() => expect(asked).toContain('irsa.role.migrate'));
    expect(
      screen.queryByRole('button', { name: /Move to/ }),
    ).not.toBeInTheDocument();
  });
});
