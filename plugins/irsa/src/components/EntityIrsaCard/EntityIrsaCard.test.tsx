import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { renderInTestApp } from '@backstage/test-utils';
import { entityRouteRef } from '@backstage/plugin-catalog-react';
import { ResponseError } from '@backstage/errors';
import type {
  StoredReportResponse,
  VerificationReport,
  WorkloadRestartResponse,
} from '@backstage-irsa/plugin-irsa-common';
import { IrsaCooldownError, type IrsaApi } from '../../api';
import { Providers, report, stored } from '../../__testUtils__/fixtures';
import { EntityIrsaCard } from './EntityIrsaCard';

async function renderCard(
  api: Partial<IrsaApi>,
  allowVerify = true,
  deny: string[] = [],
) {
  return renderInTestApp(
    <Providers
      api={api}
      deny={allowVerify ? deny : ['irsa.entity.verify', ...deny]}
    >
      <EntityIrsaCard />
    </Providers>,
    { mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef } },
  );
}

/** billing-api's pod started before the annotation, as the verifier reports it. */
function restartNeeded(): VerificationReport {
  return report({
    checks: report().checks.map(check =>
      check.id === 'pod-injection'
        ? {
            ...check,
            message:
              'Restart needed: billing-api-5d8f7-x2k9q started before the ServiceAccount was annotated and have no (or an old) AWS_ROLE_ARN',
            evidence: {
              pods: [
                {
                  name: 'billing-api-5d8f7-x2k9q',
                  createdAt: '2026-11-24T09:00:00.000Z',
                  roleArn: null,
                  tokenFile: null,
                },
              ],
              restartNeeded: ['billing-api-5d8f7-x2k9q'],
              owners: [
                {
                  pod: 'billing-api-5d8f7-x2k9q',
                  kind: 'Deployment',
                  name: 'billing-api',
                },
              ],
            },
            remediation:
              'kubectl rollout restart deployment/billing-api -n billing   (or "Restart pods" in the portal)',
          }
        : check,
    ),
  });
}

const allPassing = () =>
  report({
    status: 'pass',
    verifiedAt: '2026-11-24T11:00:00.000Z',
    trigger: 'manual',
    checks: report().checks.map(c => ({ ...c, status: 'pass' as const })),
  });

describe('EntityIrsaCard', () => {
  it('shows status, mechanism, role ARN, and one line per check needing attention with its fix', async () => {
    await renderCard({
      getReport: jest.fn().mockResolvedValue(stored(report())),
    });
    expect(await screen.findByText('AWS IAM role')).toBeInTheDocument();
    expect(screen.getByTestId('irsa-overall')).toHaveAttribute(
      'data-status',
      'fail',
    );
    expect(screen.getByTestId('irsa-overall')).toHaveTextContent(
      'Broken: see the failing checks',
    );
    expect(screen.getByTestId('irsa-mechanism')).toHaveTextContent('IRSA');
    expect(screen.getByTestId('irsa-role-arn')).toHaveTextContent(
      'arn:aws:iam::111122223333:role/irsa-sandbox-payments-payments-api',
    );
    expect(
      screen.getByRole('button', { name: 'Copy text' }),
    ).toBeInTheDocument();

    const problems = Array.from(
      document.querySelectorAll<HTMLElement>(
        '[data-testid^="irsa-problem-"][data-status]',
      ),
    ).map(el => [el.dataset.testid, el.dataset.status, el.textContent]);
    expect(problems).toEqual([
      [
        'irsa-problem-trust-audience',
        'warn',
        'Trust audience: Audience condition missing',
      ],
      [
        'irsa-problem-pod-injection',
        'fail',
        'Pod credential injectionkubectl rollout restart deployment -n billing billing-api',
      ],
    ]);
    expect(
      screen.getByTestId('irsa-problem-remediation-pod-injection'),
    ).toHaveTextContent(
      'kubectl rollout restart deployment -n billing billing-api',
    );
    // The full checklist and the policies live on the IAM tab.
    expect(screen.queryByTestId('irsa-check-role')).not.toBeInTheDocument();
    expect(screen.queryByTestId('irsa-policies')).not.toBeInTheDocument();
    expect(screen.getByTestId('irsa-verified-at')).toHaveAttribute(
      'data-verified-at',
      '2026-11-24T10:00:00.000Z',
    );
    expect(screen.queryByText('stale')).not.toBeInTheDocument();
  });

  it('folds the passing checks into a count that expands', async () => {
    await renderCard({
      getReport: jest.fn().mockResolvedValue(stored(report())),
    });
    const toggle = await screen.findByRole('button', {
      name: '12 checks passed',
    });
    expect(toggle).toHaveAttribute('aria-expanded', 'false');
    expect(screen.queryByTestId('irsa-passed-binding')).not.toBeInTheDocument();
    await userEvent.click(toggle);
    expect(toggle).toHaveAttribute('aria-expanded', 'true');
    expect(
      screen.getAllByTestId(/^irsa-passed-/).map(el => el.textContent),
    ).toEqual([
      'Ownership binding',
      'OIDC provider',
      'IAM role',
      'Trust principal',
      'Trust subject',
      'ServiceAccount annotation',
      'IRSA and Pod Identity conflict',
      'Credential shadowing',
      'Permissions policies',
      'IP allowlist',
      'Live credential exchange',
      'CloudTrail errors',
    ]);
  });

  it('counts skipped checks beside the passing ones', async () => {
    const [first, ...rest] = report().checks;
    await renderCard({
      getReport: jest.fn().mockResolvedValue(
        stored(
          report({
            checks: [{ ...first, status: 'skipped' }, ...rest],
          }),
        ),
      ),
    });
    expect(
      await screen.findByRole('button', {
        name: '11 checks passed, 1 skipped',
      }),
    ).toBeInTheDocument();
  });

  it('links "Details" to the IAM tab of the entity', async () => {
    await renderCard({
      getReport: jest.fn().mockResolvedValue(stored(report())),
    });
    expect(
      await screen.findByRole('link', { name: /Details/ }),
    ).toHaveAttribute('href', '/catalog/default/component/payments-api/irsa');
  });

  it('names a mechanism the report states', async () => {
    const withMechanism: VerificationReport = {
      ...report(),
      mechanism: 'pod-identity',
    };
    await renderCard({
      getReport: jest.fn().mockResolvedValue(stored(withMechanism)),
    });
    expect(await screen.findByTestId('irsa-mechanism')).toHaveTextContent(
      'EKS Pod Identity',
    );
  });

  it('shows a migration under way with the pods still on the old mechanism', async () => {
    const migrating: VerificationReport = {
      ...report(),
      mechanism: 'pod-identity',
      migration: { from: 'irsa', to: 'pod-identity', podsOnOld: 2, pods: 3 },
    };
    await renderCard({
      getReport: jest.fn().mockResolvedValue(stored(migrating)),
    });
    expect(await screen.findByTestId('irsa-migration')).toHaveTextContent(
      'Migrating to EKS Pod Identity: 2 of 3 pods still on IRSA',
    );
  });

  it('says a migration can finish once no pod is on the old mechanism', async () => {
    const done: VerificationReport = {
      ...report(),
      mechanism: 'irsa',
      migration: { from: 'pod-identity', to: 'irsa', podsOnOld: 0, pods: 1 },
    };
    await renderCard({ getReport: jest.fn().mockResolvedValue(stored(done)) });
    expect(await screen.findByTestId('irsa-migration')).toHaveTextContent(
      'Migrating to IRSA: every running pod is on IRSA: finish the migration',
    );
  });

  it('shows no migration line outside a migration', async () => {
    await renderCard({
      getReport: jest.fn().mockResolvedValue(stored(report())),
    });
    await screen.findByTestId('irsa-mechanism');
    expect(screen.queryByTestId('irsa-migration')).not.toBeInTheDocument();
  });

  it('offers Restart pods on a Pod Identity restart-needed line too', async () => {
    const podIdentity: VerificationReport = {
      ...report(),
      mechanism: 'pod-identity',
      checks: [
        {
          id: 'pod-identity-injection',
          title: 'Pod Identity injection',
          mechanism: 'pod-identity',
          status: 'fail',
          message: 'Restart needed: 1 pod started before the association',
          evidence: { restartNeeded: ['orders-7c9d-abcde'] },
          durationMs: 1,
        },
      ],
      status: 'fail',
    };
    await renderCard({
      getReport: jest.fn().mockResolvedValue(stored(podIdentity)),
      restartWorkloads: jest.fn(),
    });
    expect(
      await screen.findByRole('button', { name: 'Restart pods' }),
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
    const passing = report().checks.map(c => ({
      ...c,
      status: 'pass' as const,
    }));
    const verify = jest
      .fn()
      .mockResolvedValue(stored(report({ status: 'pass', checks: passing })));
    await renderCard({
      getReport: jest.fn().mockResolvedValue(undefined),
      verify,
    });
    expect(await screen.findByText('Not verified yet')).toBeInTheDocument();
    expect(
      screen.queryByRole('link', { name: /Details/ }),
    ).not.toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Verify now' }));
    expect(verify).toHaveBeenCalledWith('component:default/payments-api');
    await waitFor(() =>
      expect(screen.getByTestId('irsa-overall')).toHaveAttribute(
        'data-status',
        'pass',
      ),
    );
    expect(
      screen.getByRole('button', { name: '14 checks passed' }),
    ).toBeInTheDocument();
    expect(
      document.querySelectorAll('[data-testid^="irsa-problem-"]'),
    ).toHaveLength(0);
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
      'Verified moments ago. Re-verify available in 12 s.',
    );
    expect(screen.getByRole('button', { name: 'Re-verify' })).toBeDisabled();
  });

  it('shows other verify errors in an error panel', async () => {
    const verify = jest
      .fn()
      .mockRejectedValue(new Error('the backend is down'));
    await renderCard({
      getReport: jest.fn().mockResolvedValue(stored(report())),
      verify,
    });
    await userEvent.click(
      await screen.findByRole('button', { name: 'Re-verify' }),
    );
    expect(await screen.findByRole('alert')).toHaveTextContent(
      'Error: the backend is down',
    );
  });

  it('hides the button without irsa.entity.verify', async () => {
    await renderCard(
      { getReport: jest.fn().mockResolvedValue(stored(report())) },
      false,
    );
    expect(await screen.findByText('AWS IAM role')).toBeInTheDocument();
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
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent(
      'Error: Request failed with 500 Internal Server Error',
    );
    expect(alert).toHaveTextContent('MessageboomRequestGET /x');
  });
  describe('Restart pods', () => {
    it('is offered on the pod-injection line when its pods need a restart', async () => {
      await renderCard({
        getReport: jest.fn().mockResolvedValue(stored(restartNeeded())),
      });
      const line = await screen.findByTestId('irsa-problem-pod-injection');
      expect(line.textContent).toBe(
        'Pod credential injectionkubectl rollout restart deployment/billing-api -n billing   (or "Restart pods" in the portal)Restart pods',
      );
      expect(
        screen.getAllByRole('button', { name: 'Restart pods' }),
      ).toHaveLength(1);
    });

    it('is not offered when the pod-injection result names no pod to restart', async () => {
      await renderCard({
        getReport: jest.fn().mockResolvedValue(stored(report())),
      });
      await screen.findByTestId('irsa-problem-pod-injection');
      expect(
        screen.queryByRole('button', { name: 'Restart pods' }),
      ).not.toBeInTheDocument();
    });

    it('is hidden without irsa.workload.restart', async () => {
      await renderCard(
        { getReport: jest.fn().mockResolvedValue(stored(restartNeeded())) },
        true,
        ['irsa.workload.restart'],
      );
      await screen.findByTestId('irsa-problem-pod-injection');
      // usePermission may answer from its cache first, then revalidates.
      await waitFor(() =>
        expect(
          screen.queryByRole('button', { name: 'Restart pods' }),
        ).not.toBeInTheDocument(),
      );
      expect(
        screen.getByRole('button', { name: 'Re-verify' }),
      ).toBeInTheDocument();
    });

    it('restarts the owners with progress, then shows the new report and what happened', async () => {
      let finish!: (value: WorkloadRestartResponse) => void;
      const restartWorkloads = jest.fn(
        () =>
          new Promise<WorkloadRestartResponse>(resolve => (finish = resolve)),
      );
      await renderCard({
        getReport: jest.fn().mockResolvedValue(stored(restartNeeded())),
        restartWorkloads,
      });
      await userEvent.click(
        await screen.findByRole('button', { name: 'Restart pods' }),
      );
      expect(restartWorkloads).toHaveBeenCalledWith(
        'component:default/payments-api',
      );
      expect(
        screen.getByText(
          "Restarting the pods' workloads, then verifying again…",
        ),
      ).toBeInTheDocument();
      expect(
        screen.getByRole('button', { name: 'Restart pods' }),
      ).toBeDisabled();
      finish({
        restarted: [
          {
            kind: 'Deployment',
            name: 'billing-api',
            pods: ['billing-api-5d8f7-x2k9q'],
            restartedAt: '2026-11-24T10:59:58.000Z',
          },
        ],
        failed: [],
        skipped: [],
        verification: { report: stored(allPassing()) },
      });
      expect(
        await screen.findByTestId('irsa-restart-result'),
      ).toHaveTextContent('Restarted deployment/billing-api; verified again');
      expect(screen.getByTestId('irsa-overall')).toHaveAttribute(
        'data-status',
        'pass',
      );
      expect(screen.getByTestId('irsa-verified-at')).toHaveAttribute(
        'data-verified-at',
        '2026-11-24T11:00:00.000Z',
      );
      expect(
        screen.queryByTestId('irsa-problem-pod-injection'),
      ).not.toBeInTheDocument();
      expect(
        screen.queryByText(
          "Restarting the pods' workloads, then verifying again…",
        ),
      ).not.toBeInTheDocument();
    });

    it('names what failed or was skipped, and keeps the report when verifying again failed', async () => {
      await renderCard({
        getReport: jest.fn().mockResolvedValue(stored(restartNeeded())),
        restartWorkloads: jest.fn().mockResolvedValue({
          restarted: [],
          failed: [
            {
              kind: 'Deployment',
              name: 'billing-api',
              pods: ['billing-api-5d8f7-x2k9q'],
              message: 'the cluster refused the patch (403)',
            },
          ],
          skipped: [
            {
              pod: 'billing-once',
              reason: 'no Deployment, StatefulSet or DaemonSet replaces it',
            },
          ],
          verification: { error: 'verification is cooling down' },
        } satisfies WorkloadRestartResponse),
      });
      await userEvent.click(
        await screen.findByRole('button', { name: 'Restart pods' }),
      );
      expect(
        await screen.findByTestId('irsa-restart-result'),
      ).toHaveTextContent(
        'Could not restart deployment/billing-api: the cluster refused the patch (403); Not restarted: pod billing-once (no Deployment, StatefulSet or DaemonSet replaces it); verifying again failed: verification is cooling down',
      );
      expect(screen.getByTestId('irsa-verified-at')).toHaveAttribute(
        'data-verified-at',
        '2026-11-24T10:00:00.000Z',
      );
      expect(
        screen.getByRole('button', { name: 'Restart pods' }),
      ).toBeEnabled();
    });

    it('shows a refused restart in an error panel', async () => {
      await renderCard({
        getReport: jest.fn().mockResolvedValue(stored(restartNeeded())),
        restartWorkloads: jest
          .fn()
          .mockRejectedValue(
            new Error('no workload of this entity to restart'),
          ),
      });
      await userEvent.click(
        await screen.findByRole('button', { name: 'Restart pods' }),
      );
      expect(await screen.findByRole('alert')).toHaveTextContent(
        'Error: no workload of this entity to restart',
      );
      expect(
        screen.queryByTestId('irsa-restart-result'),
      ).not.toBeInTheDocument();
    });
  });
});
