// The browser scenarios. Selectors are the card's accessible names and
// data-testid attributes (plugins/irsa), and the scaffolder's own labels.
const SCENARIOS = {
  'orders-worker': 'service-account',
  'billing-api': 'pod-injection',
  'reports-job': 'trust-subject',
  'search-indexer': 'trust-audience',
  'media-uploader': 'allowlist',
  'inventory-sync': 'role',
  'legacy-batch': 'oidc-provider',
};
const NEW_SERVICE = 'hello-irsa';

async function signIn(page, appUrl, log) {
  await page.goto(appUrl);
  // The first visit waits for the dev server's first compile.
  const enter = page.getByRole('button', { name: /enter/i });
  await enter.waitFor({ timeout: 180_000 });
  log('signing in as the guest');
  await enter.click();
  await page
    .getByRole('link', { name: /catalog/i })
    .first()
    .waitFor({ timeout: 60_000 });
}

async function openEntity(page, appUrl, name) {
  await page.goto(`${appUrl}/catalog/default/component/${name}`);
  await page.getByText('IAM role (IRSA)').first().waitFor();
}

async function checkStatus(page, checkId) {
  const row = page.getByTestId(`irsa-check-${checkId}`);
  await row.waitFor();
  return row.getAttribute('data-status');
}

/**
 * Waits for the card's report; clicks "Verify now" when the entity has none
 * yet. The scheduled fleet run may store one meanwhile, so either may win.
 */
async function ensureReport(page, log) {
  const verifiedAt = page.getByTestId('irsa-verified-at');
  const verifyNow = page.getByRole('button', { name: /verify now/i });
  for (let i = 0; i < 120 && !(await verifiedAt.isVisible()); i++) {
    if (await verifyNow.isVisible()) {
      log('no stored report yet: clicking "Verify now"');
      await verifyNow.click({ timeout: 3_000 }).catch(() => {});
    }
    await page.waitForTimeout(500);
  }
  await verifiedAt.waitFor({ timeout: 5_000 });
}

/** The template's first two pages: name, owner, then the default cluster and namespace. */
async function fillServiceAndCluster(page, appUrl, name) {
  await page.goto(`${appUrl}/create/templates/default/irsa-service`);
  await page.getByLabel(/^name/i).first().fill(name);
  const owner = page.getByLabel(/owner/i).first();
  await owner.click();
  await owner.fill('guests');
  await page
    .getByRole('option', { name: /guests/i })
    .first()
    .click();
  await page.getByRole('button', { name: /next/i }).click();
  await page.getByRole('button', { name: /next/i }).click();
}

export const fullPortalTests = [
  {
    name: 'create a service from the template; its card shows the role and every check passes',
    async run({ page, appUrl, screenshot, log }) {
      await signIn(page, appUrl, log);
      log('filling in the template form');
      await fillServiceAndCluster(page, appUrl, NEW_SERVICE);
      await page.getByLabel(/bucket name/i).fill('demo-bucket');
      await page.getByRole('button', { name: /review/i }).click();
      await screenshot('01-template-review');
      await page.getByRole('button', { name: /create/i }).click();
      log('task started; waiting for every step');
      await page
        .getByText('Create the IAM role and ServiceAccount')
        .first()
        .waitFor();
      await page
        .getByRole('link', { name: /open the component/i })
        .waitFor({ timeout: 180_000 });
      await screenshot('02-task-log');
      await page.getByRole('link', { name: /open the component/i }).click();
      // The catalog ingests the new location within seconds; reload until it has.
      const card = page.getByText('IAM role (IRSA)').first();
      for (let i = 0; i < 60 && !(await card.isVisible()); i++) {
        await page.waitForTimeout(2000);
        await page.reload();
        await card.waitFor({ timeout: 3000 }).catch(() => {});
      }
      await card.waitFor({ timeout: 5000 });
      await ensureReport(page, log);
      const arn = await page.getByTestId('irsa-role-arn').innerText();
      if (!arn.includes(`:role/irsa-sandbox-default-${NEW_SERVICE}`)) {
        throw new Error(`unexpected role ARN on the card: ${arn}`);
      }
      const rows = page.locator('[data-testid^="irsa-check-"]');
      const statuses = await rows.evaluateAll(els =>
        els.map(
          el =>
            `${el.dataset.testid.replace('irsa-check-', '')}=${el.dataset.status}`,
        ),
      );
      // The twelve built-in checks and the demo's tag-policy module.
      if (
        statuses.length !== 13 ||
        statuses.some(s => !s.endsWith('=pass')) ||
        !statuses[0].startsWith('binding=') ||
        !statuses[12].startsWith('tag-policy=')
      ) {
        throw new Error(
          `expected 13 passing checks (binding first, tag-policy last), got ${statuses.join(', ')}`,
        );
      }
      await screenshot('03-new-service-card');
    },
  },
  {
    name: 'the template refuses an admin-equivalent custom policy before submit',
    async run({ page, appUrl, screenshot, log }) {
      await fillServiceAndCluster(page, appUrl, 'too-powerful');
      await page.getByLabel(/what the service may do/i).click();
      await page.getByRole('option', { name: /custom/i }).click();
      log('typing a policy that allows "*" on "*"');
      await page
        .getByLabel(/IAM policy JSON/i)
        .first()
        .fill(
          '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}',
        );
      await page.getByRole('button', { name: /review/i }).click();
      await page
        .getByText(
          'Admin-equivalent grants are refused: Statement[0] allows "*", every action in AWS',
        )
        .first()
        .waitFor();
      if (await page.getByRole('button', { name: /^create$/i }).isVisible()) {
        throw new Error(
          'the form reached the Create step with an admin-equivalent policy',
        );
      }
      await screenshot('07-template-refuses-admin-policy');
    },
  },
  {
    name: 'each broken demo entity names its failing check and the remediation',
    async run({ page, appUrl, screenshot, log }) {
      for (const [name, checkId] of Object.entries(SCENARIOS)) {
        await openEntity(page, appUrl, name);
        await ensureReport(page, log);
        const status = await checkStatus(page, checkId);
        const expected = checkId === 'trust-audience' ? 'warn' : 'fail';
        if (status !== expected) {
          throw new Error(
            `${name}: check ${checkId} is ${status}, expected ${expected}`,
          );
        }
        const remediation = page.getByTestId(`irsa-remediation-${checkId}`);
        if (!(await remediation.innerText()).trim()) {
          throw new Error(`${name}: no remediation shown for ${checkId}`);
        }
        log(`${name}: ${checkId} is ${status}, remediation shown`);
        await screenshot(`04-broken-${name}`);
      }
    },
  },
  {
    name: 'Re-verify changes the timestamp and updates the result',
    async run({ page, appUrl, screenshot, log }) {
      await openEntity(page, appUrl, 'payments-api');
      await ensureReport(page, log);
      const before = await page
        .getByTestId('irsa-verified-at')
        .getAttribute('data-verified-at');
      await page.waitForTimeout(1100); // the report's timestamp has second precision at worst
      await page.getByRole('button', { name: /re-verify/i }).click();
      await page
        .getByText(/verifying/i)
        .first()
        .waitFor()
        .catch(() => {});
      await page.waitForFunction(
        previous =>
          document
            .querySelector('[data-testid="irsa-verified-at"]')
            ?.getAttribute('data-verified-at') !== previous,
        before,
        { timeout: 60_000 },
      );
      const after = await page
        .getByTestId('irsa-verified-at')
        .getAttribute('data-verified-at');
      log(`verifiedAt ${before} -> ${after}`);
      await screenshot('05-reverified');
    },
  },
];

export const readOnlyPortalTests = [
  {
    name: 'a guest without irsa.entity.verify sees the card but no Re-verify button',
    async run({ page, appUrl, screenshot, log }) {
      await signIn(page, appUrl, log);
      await openEntity(page, appUrl, 'payments-api');
      await page.getByText('IAM role (IRSA)').first().waitFor();
      await page.waitForTimeout(2000); // let the permission check settle
      const buttons = await page
        .getByRole('button', { name: /re-verify|verify now/i })
        .count();
      const enabled = [];
      for (let i = 0; i < buttons; i++) {
        const button = page
          .getByRole('button', { name: /re-verify|verify now/i })
          .nth(i);
        if (await button.isEnabled()) enabled.push(i);
      }
      if (enabled.length)
        throw new Error(`${enabled.length} enabled verify button(s) shown`);
      await screenshot('06-read-only-card');
    },
  },
];
