import { screen, within } from '@testing-library/react';
import {
  mockApis,
  renderInTestApp,
  TestApiProvider,
} from '@backstage/test-utils';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import { permissionApiRef } from '@backstage/plugin-permission-react';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import type { Entity } from '@backstage/catalog-model';
import type {
  CheckResult,
  VerificationReport,
} from '@backstage-irsa/plugin-irsa-common';
import { SWRConfig } from 'swr';
import { irsaApiRef, type IrsaApi } from '../../api';
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

const result = (check: Partial<CheckResult> & { id: string }): CheckResult => ({
  status: 'pass',
  message: 'ok',
  evidence: {},
  durationMs: 1,
  ...check,
});

function report(checks: CheckResult[]): VerificationReport {
  return {
    entityRef: 'component:default/payments-api',
    cluster: 'sandbox',
    namespace: 'payments',
    serviceAccount: 'payments-api',
    policies: [],
    allowlist: [],
    checks,
    status: 'warn',
    verifiedAt: '2026-11-24T10:00:00.000Z',
    durationMs: 40,
    trigger: 'schedule',
  };
}

async function renderCard(checks: CheckResult[]) {
  const api: Partial<IrsaApi> = {
    getReport: jest
      .fn()
      .mockResolvedValue({ report: report(checks), stale: false }),
  };
  await renderInTestApp(
    <TestApiProvider
      apis={[
        [irsaApiRef, api],
        [
          permissionApiRef,
          mockApis.permission({ authorize: AuthorizeResult.ALLOW }),
        ],
      ]}
    >
      <SWRConfig value={{ provider: () => new Map() }}>
        <EntityProvider entity={entity}>
          <EntityIrsaCard />
        </EntityProvider>
      </SWRConfig>
    </TestApiProvider>,
  );
}

describe('the checks on the card', () => {
  it("renders a check it has never heard of with the report's title, status and remediation", async () => {
    await renderCard([
      result({ id: 'role', title: 'IAM role', message: 'Role exists' }),
      result({
        id: 'acme.tag-policy',
        title: 'ACME tag policy',
        mechanism: 'irsa',
        status: 'warn',
        message: 'The role lacks the tag cost-center',
        evidence: { missing: ['cost-center'] },
        remediation:
          'aws iam tag-role --role-name r --tags Key=cost-center,Value=VALUE',
      }),
    ]);
    const row = await screen.findByTestId('irsa-check-acme.tag-policy');
    expect(row).toHaveAttribute('data-status', 'warn');
    expect(row).toHaveTextContent(
      'ACME tag policy: The role lacks the tag cost-center',
    );
    expect(
      within(row).getByTestId('irsa-remediation-acme.tag-policy'),
    ).toHaveTextContent(
      'aws iam tag-role --role-name r --tags Key=cost-center,Value=VALUE',
    );
    expect(screen.getByTestId('irsa-check-role')).toHaveTextContent(
      'IAM role: Role exists',
    );
  });

  it('names the checks of a report stored before results carried titles', async () => {
    await renderCard([
      result({ id: 'trust-subject', message: 'Trusts exactly the SA' }),
      result({ id: 'tag-policy', status: 'fail', message: 'No tags' }),
    ]);
    expect(
      await screen.findByTestId('irsa-check-trust-subject'),
    ).toHaveTextContent('Trust subject: Trusts exactly the SA');
    // Unknown and untitled: the id itself, never "undefined".
    expect(screen.getByTestId('irsa-check-tag-policy')).toHaveTextContent(
      'tag-policy: No tags',
    );
  });
});
