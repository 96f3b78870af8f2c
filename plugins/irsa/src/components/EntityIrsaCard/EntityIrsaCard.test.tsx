import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import {
  mockApis,
  renderInTestApp,
  TestApiProvider,
} from '@backstage/test-utils';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import { permissionApiRef } from '@backstage/plugin-permission-react';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import type { Entity } from '@backstage/catalog-model';
import { ResponseError } from '@backstage/errors';
import type {
  StoredReportResponse,
  VerificationReport,
} from '@backstage-irsa/plugin-irsa-common';
import { IrsaCooldownError, irsaApiRef, type IrsaApi } from '../../api';
import { SWRConfig } from 'swr';
import { EntityIrsaCard } from './EntityIrsaCard';

const entity: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name: 'payments-api',
    namespace: 'default',
    annotations: { 'irsa.dev/service-account': 'payments/payments-api' },
  },
};

function report(
  overrides: Partial<VerificationReport> = {},
): VerificationReport {
  return {
    entityRef: 'component:default/payments-api',
    cluster: 'sandbox',
    namespace: 'payments',
    serviceAccount: 'payments-api',
    roleArn:
      'arn:aws:iam::111122223333:role/irsa-sandbox-payments-payments-api',
    roleName: 'irsa-sandbox-payments-payments-api',
    policies: [
      {
        kind: 'managed',
        name: 'irsa-sandbox-payments-payments-api',
        arn: 'arn:aws:iam::111122223333:policy/irsa-sandbox-payments-payments-api',
        awsManaged: false,
        purpose: 'permissions',
        document: {
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Action: 's3:GetObject', Resource: '*' },
          ],
        },
      },
      {
        kind: 'managed',
        name: 'ReadOnlyAccess',
        arn: 'arn:aws:iam::aws:policy/ReadOnlyAccess',
        awsManaged: true,
      },
    ],
    allowlist: [
      {
        value: '203.0.113.10/32',
        kind: 'cidr',
        source: 'nat',
        state: 'covered',
      },
      {
        value: '203.0.113.20/32',
        kind: 'cidr',
        source: 'nat',
        state: 'missing',
      },
    ],
    checks: [
      {
        id: 'role',
        status: 'pass',
        message: 'Role exists',
        evidence: { roleArn: 'x' },
        durationMs: 3,
      },
      {
        id: 'pod-injection',
        status: 'fail',
        message: 'Restart needed: billing-api-1',
        evidence: {},
        remediation:
          'kubectl rollout restart deployment -n billing billing-api',
        durationMs: 4,
      },
    ],
    status: 'fail',
    verifiedAt: '2026-11-24T10:00:00.000Z',
    durationMs: 40,
    trigger: 'schedule',
    ...overrides,
  };
}

const stored = (
  r: VerificationReport,
  stale = false,
): StoredReportResponse => ({ report: r, stale });

async function renderCard(api: Partial<IrsaApi>, allowVerify = true) {
  const permissionApi = mockApis.permission({
    authorize: allowVerify ? AuthorizeResult.ALLOW : AuthorizeResult.DENY,
  });
  return renderInTestApp(
    <TestApiProvider
      apis={[
        [irsaApiRef, api],
        [permissionApiRef, permissionApi],
      ]}
    >
      {/* usePermission caches decisions in SWR: a fresh cache per test */}
      <SWRConfig value={{ provider: () => new Map() }}>
        <EntityProvider entity={entity}>
          <EntityIrsaCard />
        </EntityProvider>
      </SWRConfig>
    </TestApiProvider>,
  );
}

describe('EntityIrsaCard', () => {
  it('shows the role, the failing check with its remediation, policies and allowlist', async () => {
    await renderCard({
      getReport: jest.fn().mockResolvedValue(stored(report())),
    });
    expect(await screen.findByText('IAM role (IRSA)')).toBeInTheDocument();
    expect(screen.getByTestId('irsa-role-arn')).toHaveTextContent(
      'arn:aws:iam::111122223333:role/irsa-sandbox-payments-payments-api',
    );
    expect(
      screen.getByRole('link', { name: /Open in the AWS console/ }),
    ).toHaveAttribute(
      'href',
      'https://console.aws.amazon.com/iam/home#/roles/details/irsa-sandbox-payments-payments-api',
    );
    expect(screen.getByTestId('irsa-overall')).toHaveAttribute(
      'data-status',
      'fail',
    );
    expect(screen.getByTestId('irsa-check-pod-injection')).toHaveAttribute(
      'data-status',
      'fail',
    );
    expect(
      screen.getByTestId('irsa-remediation-pod-injection'),
    ).toHaveTextContent(
      'kubectl rollout restart deployment -n billing billing-api',
    );
    expect(
      screen.queryByTestId('irsa-remediation-role'),
    ).not.toBeInTheDocument();
    expect(
      within(screen.getByTestId('irsa-policies')).getByText('AWS-managed'),
    ).toBeInTheDocument();
    expect(
      within(screen.getByTestId('irsa-allowlist')).getByText(
        /missing from the policy/,
      ),
    ).toBeInTheDocument();
    expect(screen.getByTestId('irsa-verified-at')).toHaveAttribute(
      'data-verified-at',
      '2026-11-24T10:00:00.000Z',
    );
    expect(screen.queryByText('stale')).not.toBeInTheDocument();
  });

  it('expands a policy document, pretty-printed', async () => {
    await renderCard({
      getReport: jest.fn().mockResolvedValue(stored(report())),
    });
    await userEvent.click(
      (await screen.findAllByRole('button', { name: 'Show document' }))[0],
    );
    expect(
      await screen.findByText(/"Action": "s3:GetObject"/),
    ).toBeInTheDocument();
  });

  it('marks a stale report', async () => {
    await renderCard({
      getReport: jest.fn().mockResolvedValue(stored(report(), true)),
    });
    expect(await screen.findByText('stale')).toBeInTheDocument();
  });

  it('marks a report made on the sandbox, and only such a report', async () => {
    await renderCard({
      getReport: jest
        .fn()
        .mockResolvedValue(stored(report({ environment: 'sandbox' }))),
    });
    expect(await screen.findByText('Sandbox')).toBeInTheDocument();
    expect(screen.getByTestId('irsa-sandbox')).toHaveAttribute(
      'title',
      'Made on the embedded in-memory sandbox, not real AWS',
    );
  });

  it('shows no sandbox badge on a report made against AWS', async () => {
    await renderCard({
      getReport: jest
        .fn()
        .mockResolvedValue(stored(report({ environment: 'aws' }))),
    });
    await screen.findByTestId('irsa-verified-at');
    expect(screen.queryByText('Sandbox')).not.toBeInTheDocument();
  });

  it('offers "Verify now" when there is no report, and shows the new report in place', async () => {
    const verify = jest
      .fn()
      .mockResolvedValue(stored(report({ status: 'pass', checks: [] })));
    await renderCard({
      getReport: jest.fn().mockResolvedValue(undefined),
      verify,
    });
    expect(await screen.findByText('Not verified yet')).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Verify now' }));
    expect(verify).toHaveBeenCalledWith('component:default/payments-api');
    await waitFor(() =>
      expect(screen.getByTestId('irsa-overall')).toHaveAttribute(
        'data-status',
        'pass',
      ),
    );
  });

  it('shows progress while re-verifying, then replaces the report', async () => {
    let finish!: (value: StoredReportResponse) => void;
    const verify = jest.fn(
      () => new Promise<StoredReportResponse>(resolve => (finish = resolve)),
    );
    await renderCard({
      getReport: jest.fn().mockResolvedValue(stored(report())),
      verify,
    });
    await userEvent.click(
      await screen.findByRole('button', { name: 'Re-verify' }),
    );
    expect(
      screen.getByText('Verifying: asking AWS and the cluster…'),
    ).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Re-verify' })).toBeDisabled();
    finish(
      stored(
        report({
          status: 'pass',
          verifiedAt: '2026-11-24T11:00:00.000Z',
          checks: [],
        }),
      ),
    );
    await waitFor(() =>
      expect(screen.getByTestId('irsa-verified-at')).toHaveAttribute(
        'data-verified-at',
        '2026-11-24T11:00:00.000Z',
      ),
    );
    expect(
      screen.queryByText('Verifying: asking AWS and the cluster…'),
    ).not.toBeInTheDocument();
  });

  it('turns a 429 into a friendly wait', async () => {
    const verify = jest.fn().mockRejectedValue(new IrsaCooldownError(12));
    await renderCard({
      getReport: jest.fn().mockResolvedValue(stored(report())),
      verify,
    });
    await userEvent.click(
      await screen.findByRole('button', { name: 'Re-verify' }),
    );
    expect(await screen.findByTestId('irsa-cooldown')).toHaveTextContent(
      'Re-verify available in 12 s.',
    );
    expect(screen.getByRole('button', { name: 'Re-verify' })).toBeDisabled();
  });

  it('shows other verify errors in an error panel', async () => {
    const error = new Error('the backend is down');
    const verify = jest.fn().mockRejectedValue(error);
    await renderCard({
      getReport: jest.fn().mockResolvedValue(stored(report())),
      verify,
    });
    await userEvent.click(
      await screen.findByRole('button', { name: 'Re-verify' }),
    );
    expect(
      (await screen.findAllByText(/the backend is down/)).length,
    ).toBeGreaterThan(0);
  });

  it('hides the button without irsa.entity.verify', async () => {
    await renderCard(
      { getReport: jest.fn().mockResolvedValue(stored(report())) },
      false,
    );
    expect(await screen.findByText('IAM role (IRSA)')).toBeInTheDocument();
    // usePermission may answer from its cache first, then revalidates.
    await waitFor(() =>
      expect(
        screen.queryByRole('button', { name: /verify/i }),
      ).not.toBeInTheDocument(),
    );
  });

  it('shows a load error in an error panel', async () => {
    const error = await ResponseError.fromResponse(
      new Response(
        JSON.stringify({
          error: { name: 'Error', message: 'boom' },
          request: { method: 'GET', url: '/x' },
          response: { statusCode: 500 },
        }),
        {
          status: 500,
          statusText: 'Internal Server Error',
          headers: { 'content-type': 'application/json' },
        },
      ),
    );
    await renderCard({ getReport: jest.fn().mockRejectedValue(error) });
    expect((await screen.findAllByText(/boom/)).length).toBeGreaterThan(0);
  });
});
