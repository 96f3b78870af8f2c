import { screen, within } from '@testing-library/react';
import { renderInTestApp } from '@backstage/test-utils';
import type { CheckResult } from '@backstage-irsa/plugin-irsa-common';
import { ChecksList } from './ChecksList';

const result = (check: Partial<CheckResult> & { id: string }): CheckResult => ({
  status: 'pass',
  message: 'ok',
  evidence: {},
  durationMs: 1,
  ...check,
});

describe('ChecksList', () => {
  it("renders a check it has never heard of with the report's title, status and remediation", async () => {
    await renderInTestApp(
      <ChecksList
        checks={[
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
        ]}
      />,
    );
    const row = screen.getByTestId('irsa-check-acme.tag-policy');
    expect(row).toHaveAttribute('data-status', 'warn');
    expect(row).toHaveTextContent(
      'ACME tag policy: The role lacks the tag cost-center',
    );
    expect(
      within(row).getByTestId('irsa-remediation-acme.tag-policy'),
    ).toHaveTextContent(
      'aws iam tag-role --role-name r --tags Key=cost-center,Value=VALUE',
    );
    expect(
      within(row).getByRole('button', { name: 'Show evidence' }),
    ).toBeInTheDocument();
    expect(screen.getByTestId('irsa-check-role')).toHaveTextContent(
      'IAM role: Role exists',
    );
  });

  it('names the checks of a report stored before results carried titles', async () => {
    await renderInTestApp(
      <ChecksList
        checks={[
          result({ id: 'trust-subject', message: 'Trusts exactly the SA' }),
          result({ id: 'tag-policy', status: 'fail', message: 'No tags' }),
        ]}
      />,
    );
    expect(screen.getByTestId('irsa-check-trust-subject')).toHaveTextContent(
      'Trust subject: Trusts exactly the SA',
    );
    // Unknown and untitled: the id itself, never "undefined".
    expect(screen.getByTestId('irsa-check-tag-policy')).toHaveTextContent(
      'tag-policy: No tags',
    );
  });
});
