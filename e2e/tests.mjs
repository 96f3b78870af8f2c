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
const NEW_POD_IDENTITY_SERVICE = 'hello-pod-identity';
/** As the card and the template's pickers name each mechanism. */
const MECHANISM_LABELS = { irsa: 'IRSA', 'pod-identity': 'EKS Pod Identity' };

/**
 * Signs in as the guest. A backend that restarts (its dev server watches the
 * tree) refuses the guest for a moment: the browser logs why, and the next
 * attempt starts from the sign-in page again.
 */
export async function signIn(page, appUrl, log) {
  const refusals = [];
  const onConsole = message => {
    if (message.text().includes('Failed to sign in as a guest')) {
      refusals.push(message.text());
    }
  };
  page.on('console', onConsole);
  try {
    for (let attempt = 1; attempt <= 3; attempt++) {
      await page.goto(appUrl);
      // The first visit waits for the dev server's first compile.
      const enter = page.getByRole('button', { name: /enter/i });
      await enter.waitFor({ timeout: 180_000 });
      log('signing in as the guest');
      await enter.click();
      const signedIn = await page
        .getByRole('link', { name: /catalog/i })
        .first()
        .waitFor({ timeout: 60_000 })
        .then(() => true)
        .catch(() => false);
      if (signedIn) return;
      log(
        `sign-in attempt ${attempt} failed: ${refusals.at(-1) ?? 'no reason logged'}`,
      );
    }
    throw new Error(`guest sign-in failed 3 times: ${refusals.join(' | ')}`);
  } finally {
    page.off('console', onConsole);
  }
}

async function openEntity(page, appUrl, name) {
  await page.goto(`${appUrl}/catalog/default/component/${name}`);
  await page.getByText('AWS IAM role').first().waitFor();
}

/** The compact card's line for a check that needs attention, and its status. */
async function problemStatus(page, checkId) {
  const row = page.getByTestId(`irsa-problem-${checkId}`);
  await row.waitFor();
  return row.getAttribute('data-status');
}

/**
 * Waits for the card's report; clicks "Verify now" when the entity has none
 * yet. The scheduled fleet run may store one meanwhile, so either may win:
 * a Verify now that meets the cooldown reloads the page for the stored one.
 */
async function ensureReport(page, log) {
  const verifiedAt = page.getByTestId('irsa-verified-at');
  const verifyNow = page.getByRole('button', { name: /verify now/i });
  await verifiedAt.or(verifyNow).first().waitFor({ timeout: 60_000 });
  if (await verifiedAt.isVisible()) return;
  log('no stored report yet: clicking "Verify now"');
  await verifyNow.click();
  const cooldown = page.getByTestId('irsa-cooldown');
  await verifiedAt.or(cooldown).first().waitFor({ timeout: 60_000 });
  if (!(await verifiedAt.isVisible())) {
    log('verified by someone else moments ago: reloading');
    await page.reload();
  }
  await verifiedAt.waitFor({ timeout: 60_000 });
}

/**
 * Clicks Re-verify until a new report replaces the shown one. The server
 * takes one verification per entity per cooldown; the button stays disabled
 * meanwhile, and click() waits until it is enabled again.
 */
async function reverify(page, log) {
  const before = await page
    .getByTestId('irsa-verified-at')
    .getAttribute('data-verified-at');
  for (let attempt = 1; attempt <= 3; attempt++) {
    await page.getByRole('button', { name: /re-verify/i }).click();
    const outcome = await page.waitForFunction(
      previous => {
        const at = document
          .querySelector('[data-testid="irsa-verified-at"]')
          ?.getAttribute('data-verified-at');
        if (at && at !== previous) return 'verified';
        if (document.querySelector('[data-testid="irsa-cooldown"]'))
          return 'cooldown';
        return false;
      },
      before,
      { timeout: 60_000 },
    );
    if ((await outcome.jsonValue()) === 'verified') {
      const after = await page
        .getByTestId('irsa-verified-at')
        .getAttribute('data-verified-at');
      log(`verifiedAt ${before} -> ${after}`);
      return { before, after };
    }
    log('Re-verify met the cooldown; trying again when the button is enabled');
  }
  throw new Error('Re-verify never produced a new report');
}

/** The checklist rows of the IAM tab as "id=status". */
async function tabCheckStatuses(page) {
  await page.getByTestId('irsa-check-binding').waitFor();
  return page
    .locator('[data-testid^="irsa-check-"]')
    .evaluateAll(els =>
      els.map(
        el =>
          `${el.dataset.testid.replace('irsa-check-', '')}=${el.dataset.status}`,
      ),
    );
}

/** Follows the card's "Details" link to the IAM tab. */
async function openTab(page, name) {
  await page.getByRole('link', { name: /details/i }).click();
  await page.waitForURL(url =>
    url.pathname.endsWith(`/component/${name}/irsa`),
  );
  await page.getByTestId('irsa-content').waitFor();
}

/**
 * Waits until the permission backend has answered for each of
 * `permissionNames` (one name or a list; one batch may answer several) and
 * React has committed the answers (two animation frames later).
 */
async function permissionSettled(page, permissionNames, navigate) {
  const answered = [permissionNames]
    .flat()
    .map(name =>
      page.waitForResponse(
        response =>
          response.url().includes('/api/permission/authorize') &&
          (response.request().postData() ?? '').includes(name),
      ),
    );
  await navigate();
  await Promise.all(answered);
  await page.evaluate(
    () =>
      new Promise(resolve =>
        requestAnimationFrame(() => requestAnimationFrame(resolve)),
      ),
  );
}

/**
 * Chooses `label` in the MUI select whose hidden input has `testId`, and
 * waits until the form holds `value`.
 */
async function choose(page, testId, label, value) {
  const input = page.getByTestId(testId);
  await input.locator('xpath=..').getByRole('button').click();
  await page.getByRole('option', { name: label }).click();
  await page.waitForFunction(
    ([id, expected]) =>
      document.querySelector(`[data-testid="${id}"]`)?.value === expected,
    [testId, value],
  );
}

/**
 * The template's first two pages: name and owner, then where it runs: the
 * preselected cluster and namespace, or the `cluster` and `mechanism` chosen
 * in the pickers.
 */
async function fillServiceAndCluster(page, appUrl, name, where = {}) {
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
  if (where.cluster) {
    await choose(
      page,
      'irsa-cluster-picker',
      new RegExp(`^${where.cluster} — `),
      where.cluster,
    );
  }
  if (where.mechanism) {
    await choose(
      page,
      'irsa-mechanism-picker',
      new RegExp(`^${MECHANISM_LABELS[where.mechanism]} — `),
      where.mechanism,
    );
  }
  await page.getByRole('button', { name: /next/i }).click();
}

/**
 * Runs the service template for `name` (S3 read of demo-bucket) to the end,
 * opens the new component and reloads until the catalog has ingested it.
 * `where` picks the cluster and mechanism (else the form's defaults);
 * `screenshot` receives the review page and the finished task, when given.
 */
async function createServiceFromTemplate(
  page,
  appUrl,
  name,
  log,
  { where, screenshot } = {},
) {
  log(`filling in the template form for ${name}`);
  await fillServiceAndCluster(page, appUrl, name, where);
  await page.getByLabel(/bucket name/i).fill('demo-bucket');
  await page.getByRole('button', { name: /review/i }).click();
  await screenshot?.('01-template-review');
  await page.getByRole('button', { name: /create/i }).click();
  log('task started; waiting for every step');
  await page
    .getByText('Create the IAM role and ServiceAccount')
    .first()
    .waitFor();
  await page
    .getByRole('link', { name: /open the component/i })
    .waitFor({ timeout: 180_000 });
  await screenshot?.('02-task-log');
  await page.getByRole('link', { name: /open the component/i }).click();
  // The catalog ingests the new location within seconds; reload until it has.
  const card = page.getByText('AWS IAM role').first();
  const deadline = Date.now() + 120_000;
  while (!(await card.isVisible())) {
    if (Date.now() > deadline) {
      throw new Error(`${name} did not reach the catalog in 120 s`);
    }
    await page.reload();
    await card.waitFor({ timeout: 5_000 }).catch(() => {});
  }
}

/** The card's mechanism chip: its data-mechanism and its label. */
async function cardMechanism(page) {
  const chip = page.getByTestId('irsa-mechanism');
  return {
    mechanism: await chip.getAttribute('data-mechanism'),
    label: await chip.innerText(),
  };
}

/** Fails unless the card shows an overall pass with no check line. */
async function expectHealthyCard(page, name) {
  await page
    .locator('[data-testid="irsa-overall"][data-status="pass"]')
    .waitFor();
  const problems = await page
    .locator('[data-testid^="irsa-problem-"]')
    .allInnerTexts();
  if (problems.length) {
    throw new Error(`${name}: check lines on a healthy card: ${problems}`);
  }
}

export const fullPortalTests = [
  {
    name: 'create a service from the template; its card shows the role and every check passes',
    async run({ page, appUrl, screenshot, log }) {
      await createServiceFromTemplate(page, appUrl, NEW_SERVICE, log, {
        screenshot,
      });
      await ensureReport(page, log);
      const arn = await page.getByTestId('irsa-role-arn').innerText();
      if (!arn.includes(`:role/irsa-sandbox-default-${NEW_SERVICE}`)) {
        throw new Error(`unexpected role ARN on the card: ${arn}`);
      }
      const chip = await cardMechanism(page);
      if (chip.mechanism !== 'irsa' || chip.label !== 'IRSA') {
        throw new Error(`mechanism chip: ${JSON.stringify(chip)}`);
      }
      // The compact card: nothing needs attention, every check folded into the count.
      await page.getByRole('button', { name: '15 checks passed' }).waitFor();
      const problems = await page
        .locator('[data-testid^="irsa-problem-"]')
        .count();
      if (problems !== 0) {
        throw new Error(`${problems} check line(s) on a healthy card`);
      }
      await screenshot('03-new-service-card');
      await openTab(page, NEW_SERVICE);
      const statuses = await tabCheckStatuses(page);
      // IRSA's fourteen built-in checks and the demo's tag-policy module.
      if (
        statuses.length !== 15 ||
        statuses.some(s => !s.endsWith('=pass')) ||
        !statuses[0].startsWith('binding=') ||
        !statuses[14].startsWith('tag-policy=')
      ) {
        throw new Error(
          `expected 15 passing checks (binding first, tag-policy last), got ${statuses.join(', ')}`,
        );
      }
    },
  },
  {
    name: 'create a Pod Identity service from the template; its card shows EKS Pod Identity and every check passes',
    async run({ page, appUrl, screenshot, log }) {
      const name = NEW_POD_IDENTITY_SERVICE;
      await createServiceFromTemplate(page, appUrl, name, log, {
        where: { cluster: 'sandbox', mechanism: 'pod-identity' },
      });
      await ensureReport(page, log);
      const arn = await page.getByTestId('irsa-role-arn').innerText();
      if (!arn.includes(`:role/irsa-sandbox-default-${name}`)) {
        throw new Error(`unexpected role ARN on the card: ${arn}`);
      }
      const chip = await cardMechanism(page);
      if (
        chip.mechanism !== 'pod-identity' ||
        chip.label !== 'EKS Pod Identity'
      ) {
        throw new Error(`mechanism chip: ${JSON.stringify(chip)}`);
      }
      await expectHealthyCard(page, name);
      if (await page.getByTestId('irsa-migration').count()) {
        throw new Error(
          'a migration chip on a service created on Pod Identity',
        );
      }
      // The live exchange is opt-in: folded into the count as skipped.
      const folded = await page
        .getByRole('button', { name: /^\d+ checks passed, 1 skipped$/ })
        .innerText();
      log(`card: ${chip.label}, ${folded}`);
      await screenshot('pod-identity-card');
      await openTab(page, name);
      const statuses = await tabCheckStatuses(page);
      await screenshot('pod-identity-tab');
      const status = Object.fromEntries(statuses.map(s => s.split('=')));
      const expected = {
        'pod-identity-agent': 'pass',
        'pod-identity-platform': 'pass',
        'pod-identity-association': 'pass',
        'pod-identity-trust': 'pass',
        'pod-identity-injection': 'pass',
        'pod-identity-exchange': 'skipped',
      };
      const reason = await page
        .getByTestId('irsa-check-pod-identity-exchange')
        .innerText();
      if (!reason.includes('opt-in (irsa.verification.podIdentityExchange')) {
        throw new Error(
          `pod-identity-exchange skipped without its reason: ${reason}`,
        );
      }
      const wrong = Object.entries(expected).filter(
        ([id, want]) => status[id] !== want,
      );
      // Only the exchange is skipped; IRSA's own checks do not apply.
      const others = statuses.filter(
        s => !(s.split('=')[0] in expected) && !s.endsWith('=pass'),
      );
      const irsaOnly = ['oidc-provider', 'trust-subject', 'service-account'];
      if (
        wrong.length ||
        others.length ||
        irsaOnly.some(id => id in status) ||
        !statuses[0].startsWith('binding=') ||
        !statuses.at(-1).startsWith('tag-policy=')
      ) {
        throw new Error(
          `Pod Identity checks (expected ${JSON.stringify(expected)}, the rest passing, binding first, tag-policy last): ${statuses.join(', ')}`,
        );
      }
      log(`IAM tab: ${statuses.join(', ')}`);
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
    name: 'each broken demo entity leads its overview with the compact card: the failing check and its fix',
    async run({ page, appUrl, screenshot, log }) {
      for (const [name, checkId] of Object.entries(SCENARIOS)) {
        await openEntity(page, appUrl, name);
        await ensureReport(page, log);
        const status = await problemStatus(page, checkId);
        const expected = checkId === 'trust-audience' ? 'warn' : 'fail';
        if (status !== expected) {
          throw new Error(
            `${name}: check ${checkId} is ${status}, expected ${expected}`,
          );
        }
        const remediation = page.getByTestId(
          `irsa-problem-remediation-${checkId}`,
        );
        if (!(await remediation.innerText()).trim()) {
          throw new Error(`${name}: no remediation shown for ${checkId}`);
        }
        // The passing checks are one line: "N checks passed".
        const folded = await page
          .getByRole('button', { name: /^\d+ checks? passed/ })
          .innerText();
        // The card comes before the catalog's relation cards.
        const cardBox = await page
          .getByText('AWS IAM role')
          .first()
          .boundingBox();
        const relations = page.getByText(/^Depends on (components|resources)$/);
        await relations.first().waitFor();
        for (const box of await relations
          .all()
          .then(all => Promise.all(all.map(r => r.boundingBox())))) {
          if (box.y <= cardBox.y) {
            throw new Error(`${name}: a relation card sits above the IAM card`);
          }
        }
        log(`${name}: ${checkId} is ${status}, remediation shown, ${folded}`);
        await screenshot(`04-broken-${name}`);
        if (name === 'reports-job') await screenshot('card-compact');
      }
    },
  },
  {
    name: 'Restart pods fixes restart needed',
    async run({ page, appUrl, screenshot, log }) {
      // billing-api's pods were created before its ServiceAccount was annotated.
      await openEntity(page, appUrl, 'billing-api');
      await ensureReport(page, log);
      const line = page.getByTestId('irsa-problem-pod-injection');
      await line.waitFor();
      log(`pod-injection is ${await line.getAttribute('data-status')}`);
      await line.getByRole('button', { name: 'Restart pods' }).click();
      const result = page.getByTestId('irsa-restart-result');
      await result.waitFor({ timeout: 90_000 });
      const text = await result.innerText();
      log(`restart: ${text}`);
      if (text !== 'Restarted deployment/billing-api; verified again') {
        throw new Error(`unexpected restart result: ${text}`);
      }
      // The re-verification's report replaces the card's: pod-injection passes.
      await line.waitFor({ state: 'detached' });
      await page
        .locator('[data-testid="irsa-overall"][data-status="pass"]')
        .waitFor();
      await screenshot('restart-pods');
    },
  },
  {
    name: 'migrate a demo service to Pod Identity: restart its IRSA pods, then finish through the template',
    async run({ page, appUrl, screenshot, log }) {
      // catalog-api is mid-migration: association and both trusts in place,
      // two pods from before still on IRSA, one started since on Pod Identity.
      const name = 'catalog-api';
      await openEntity(page, appUrl, name);
      await ensureReport(page, log);
      const migration = page.getByTestId('irsa-migration');
      const before = await migration.innerText();
      if (
        before !== 'Migrating to EKS Pod Identity: 2 of 3 pods still on IRSA'
      ) {
        throw new Error(`migration chip before the restart: ${before}`);
      }
      const line = page.getByTestId('irsa-problem-pod-identity-injection');
      log(
        `${before}; pod-identity-injection is ${await line.getAttribute('data-status')}`,
      );
      await screenshot('migration-card');
      await line.getByRole('button', { name: 'Restart pods' }).click();
      const result = page.getByTestId('irsa-restart-result');
      await result.waitFor({ timeout: 90_000 });
      const restarted = await result.innerText();
      if (restarted !== `Restarted deployment/${name}; verified again`) {
        throw new Error(`unexpected restart result: ${restarted}`);
      }
      // The restart's report: every pod moved, the chip asks for the last step.
      await page.waitForFunction(
        expected =>
          document.querySelector('[data-testid="irsa-migration"]')
            ?.textContent === expected,
        'Migrating to EKS Pod Identity: every running pod is on EKS Pod Identity: finish the migration',
        { timeout: 30_000 },
      );
      await line.waitFor({ state: 'detached' });
      log(`restart: ${restarted}; ${await migration.innerText()}`);
      await screenshot('migration-restarted');

      // The IAM tab offers the next step: irsa-migrate, prefilled.
      await openTab(page, name);
      await page
        .getByRole('button', { name: 'Finish the move to EKS Pod Identity' })
        .click();
      await page.waitForURL(url =>
        url.pathname.endsWith('/create/templates/default/irsa-migrate'),
      );
      await page.waitForFunction(
        entity =>
          [...document.querySelectorAll('input')].some(input =>
            input.value.includes(entity),
          ),
        name,
        { timeout: 30_000 },
      );
      const moveTo = await page
        .getByRole('button', { name: /^Move to/ })
        .innerText();
      const step = await page
        .getByRole('button', { name: /^Step/ })
        .innerText();
      if (moveTo !== 'EKS Pod Identity' || !step.startsWith('Finish (')) {
        throw new Error(`irsa-migrate prefilled with "${moveTo}", "${step}"`);
      }
      log(`the irsa-migrate template, prefilled: ${moveTo}, ${step}`);
      await page.getByRole('button', { name: /review/i }).click();
      await page.getByRole('button', { name: /create/i }).click();
      await page
        .getByRole('link', { name: /open the component/i })
        .waitFor({ timeout: 120_000 });
      // The template's Result: the new mechanism and no pod left behind.
      for (const expected of [
        /After step finish, pods started from now on use pod-identity\./,
        /\b0 of 3 running pods are still on the old mechanism\./,
      ]) {
        await page.waitForFunction(
          source => new RegExp(source).test(document.body.innerText),
          expected.source,
          { timeout: 30_000 },
        );
      }
      await screenshot('migration-finished-task');
      await page.getByRole('link', { name: /open the component/i }).click();
      await page.getByText('AWS IAM role').first().waitFor();
      await ensureReport(page, log);
      await reverify(page, log);
      const chip = await cardMechanism(page);
      if (
        chip.mechanism !== 'pod-identity' ||
        chip.label !== 'EKS Pod Identity'
      ) {
        throw new Error(`mechanism chip after finish: ${JSON.stringify(chip)}`);
      }
      if (await migration.count()) {
        throw new Error(
          `migration chip after finish: ${await migration.innerText()}`,
        );
      }
      await expectHealthyCard(page, name);
      await screenshot('migration-done');
    },
  },
  {
    name: 'Re-verify changes the timestamp and updates the result',
    async run({ page, appUrl, screenshot, log }) {
      await openEntity(page, appUrl, 'payments-api');
      await ensureReport(page, log);
      await reverify(page, log);
      await screenshot('05-reverified');
    },
  },
  {
    name: 'the IAM tab shows every check, the policies and the history; a Re-verify adds a report with what changed',
    async run({ page, appUrl, screenshot, log }) {
      const name = 'reports-job';
      await openEntity(page, appUrl, name);
      await ensureReport(page, log);
      await openTab(page, name);
      const statuses = await tabCheckStatuses(page);
      if (!statuses.includes('trust-subject=fail')) {
        throw new Error(`trust-subject is not failing: ${statuses.join(', ')}`);
      }
      await page.getByTestId('irsa-policies').waitFor();
      await page.getByTestId('irsa-allowlist').waitFor();
      const items = page.getByTestId('irsa-history-item');
      await items.first().waitFor();
      const countBefore = await items.count();
      const { after } = await reverify(page, log);
      // The timeline reads the history again for the new report.
      await page
        .locator(
          `[data-testid="irsa-history-item"][data-verified-at="${after}"]`,
        )
        .waitFor();
      const newest = items.first();
      if ((await newest.getAttribute('data-verified-at')) !== after) {
        throw new Error('the newest history item is not the new report');
      }
      const countAfter = await items.count();
      if (countAfter !== Math.min(countBefore + 1, 20)) {
        throw new Error(
          `history went from ${countBefore} to ${countAfter} items`,
        );
      }
      const changes = await newest
        .getByTestId('irsa-history-change')
        .allInnerTexts();
      const known =
        /^(no change|status: \w+ → \w+|[a-z0-9-]+: (passing → failing|failing → passing))$/;
      if (changes.length === 0 || changes.some(line => !known.test(line))) {
        throw new Error(`unexpected change lines: ${changes.join(' | ')}`);
      }
      log(
        `history: ${countBefore} -> ${countAfter} items; newest: ${changes.join(' | ')}`,
      );
      const decommission = page.getByRole('button', { name: 'Decommission' });
      const href = await decommission.getAttribute('href');
      const expected = `/create/templates/default/irsa-decommission?formData=${encodeURIComponent(
        JSON.stringify({ entityRef: `component:default/${name}` }),
      )}`;
      if (href !== expected) {
        throw new Error(`Decommission links to ${href}, expected ${expected}`);
      }
      await screenshot('iam-tab');
      await decommission.click();
      await page.waitForURL(url =>
        url.pathname.endsWith('/create/templates/default/irsa-decommission'),
      );
      await page
        .getByText('Decommission IRSA for a component')
        .first()
        .waitFor();
      // The entity picker shows the prefilled component once the catalog answers.
      await page.waitForFunction(
        entity =>
          [...document.querySelectorAll('input')].some(input =>
            input.value.includes(entity),
          ),
        name,
        { timeout: 30_000 },
      );
      await screenshot('08-decommission-template');
    },
  },
  {
    name: 'the fleet page lists every demo entity and filters by status and by mechanism',
    async run({ page, screenshot, log }) {
      // The nav item comes from the page's title and icon.
      await page.getByRole('link', { name: 'IAM fleet' }).first().click();
      // Run alone, the page may open before the scheduled run's first reports.
      const neverVerified = async () => {
        const count = await page.waitForFunction(() =>
          /\d+$/.exec(
            document.querySelector('[data-testid="irsa-fleet-count-none"]')
              ?.textContent ?? '',
          ),
        );
        return Number((await count.jsonValue())[0]);
      };
      const deadline = Date.now() + 120_000;
      for (let left; (left = await neverVerified()) > 0;) {
        if (Date.now() > deadline) {
          throw new Error(`${left} entities still never verified after 120 s`);
        }
        log(`${left} entities not verified yet: reloading`);
        await page.waitForTimeout(2_000);
        await page.reload();
      }
      const rowNames = async () =>
        page
          .getByTestId('irsa-fleet-status')
          .evaluateAll(cells =>
            cells.map(cell => [
              cell.closest('tr').querySelector('td').innerText.trim(),
              cell.dataset.status,
            ]),
          );
      const demo = ['payments-api', ...Object.keys(SCENARIOS)];
      await page.getByRole('link', { name: 'payments-api' }).waitFor();
      const all = await rowNames();
      const missing = demo.filter(name => !all.some(([n]) => n === name));
      if (missing.length) {
        throw new Error(`not on the fleet page: ${missing.join(', ')}`);
      }
      log(`${all.length} entities listed`);
      await page.getByTestId('irsa-fleet-count-fail').click();
      await page
        .getByRole('link', { name: 'payments-api' })
        .waitFor({ state: 'detached' });
      const broken = await rowNames();
      const count = Number(
        (await page.getByTestId('irsa-fleet-count-fail').innerText())
          .split(':')
          .pop(),
      );
      if (
        broken.some(([, status]) => status !== 'fail') ||
        !['inventory-sync', 'orders-worker'].every(name =>
          broken.some(([n]) => n === name),
        ) ||
        broken.length !== count
      ) {
        throw new Error(
          `status filter: ${JSON.stringify(broken)}, Broken count ${count}`,
        );
      }
      // inventory-sync's role was deleted: the entity and its ServiceAccount are orphans.
      await page
        .getByTestId('irsa-orphan-entity')
        .filter({ hasText: 'component:default/inventory-sync' })
        .waitFor();
      log(`Broken: ${broken.map(([n]) => n).join(', ')}`);
      await screenshot('fleet-page');

      // Broken again clears the status filter; then Mechanism = EKS Pod Identity.
      await page.getByTestId('irsa-fleet-count-fail').click();
      await page.getByRole('link', { name: 'payments-api' }).waitFor();
      await choose(
        page,
        'irsa-fleet-filter-mechanism',
        'EKS Pod Identity',
        'pod-identity',
      );
      await page
        .getByRole('link', { name: 'payments-api' })
        .waitFor({ state: 'detached' });
      await page.getByRole('link', { name: 'ledger-api' }).waitFor();
      // [entity, Mechanism column] per row (headers by textContent: CSS upper-cases them).
      const onPodIdentity = await page
        .getByTestId('irsa-fleet-status')
        .evaluateAll(cells =>
          cells.map(cell => {
            const row = cell.closest('tr');
            const column = [
              ...cell.closest('table').querySelectorAll('thead th'),
            ].findIndex(th => th.textContent.trim() === 'Mechanism');
            const tds = row.querySelectorAll('td');
            return [tds[0].innerText.trim(), tds[column]?.innerText.trim()];
          }),
        );
      const irsaOnly = [
        'payments-api',
        'notifications-sender',
        ...Object.keys(SCENARIOS),
      ];
      if (
        onPodIdentity.some(([, m]) => m !== 'EKS Pod Identity') ||
        !['ledger-api', 'archive-exporter'].every(n =>
          onPodIdentity.some(([row]) => row === n),
        ) ||
        onPodIdentity.some(([row]) => irsaOnly.includes(row))
      ) {
        throw new Error(`mechanism filter: ${JSON.stringify(onPodIdentity)}`);
      }
      log(`EKS Pod Identity: ${onPodIdentity.map(([n]) => n).join(', ')}`);
      await screenshot('fleet-page-pod-identity');
    },
  },
  {
    name: 'decommission through the template: the task deletes the role',
    async run({ page, appUrl, screenshot, log }) {
      const name = 'throwaway-irsa';
      const entityRef = `component:default/${name}`;
      await createServiceFromTemplate(page, appUrl, name, log);
      await ensureReport(page, log);
      const roleArn = await page.getByTestId('irsa-role-arn').innerText();
      // As the IAM tab's Decommission button opens it.
      await page.goto(
        `${appUrl}/create/templates/default/irsa-decommission?formData=${encodeURIComponent(
          JSON.stringify({ entityRef }),
        )}`,
      );
      await page
        .getByText('Decommission IRSA for a component')
        .first()
        .waitFor();
      await page.waitForFunction(
        entity =>
          [...document.querySelectorAll('input')].some(input =>
            input.value.includes(entity),
          ),
        name,
        { timeout: 30_000 },
      );
      await page
        .getByRole('checkbox', { name: /I understand that the component/ })
        .check();
      await page.getByRole('button', { name: /review/i }).click();
      await page.getByRole('button', { name: /create/i }).click();
      log(`decommissioning ${roleArn}`);
      // The output's link appears once every step has finished.
      await page
        .getByRole('link', { name: /open the component/i })
        .waitFor({ timeout: 120_000 });
      // The task page shows the log while the task runs; open it if it is hidden.
      const logsToggle = page.getByRole('button', {
        name: /^(show|hide) logs$/i,
      });
      if (/show/i.test(await logsToggle.innerText())) await logsToggle.click();
      // The action's output ("What was removed") lists each step it did.
      const deleted = `deleted role ${roleArn}`;
      await page.waitForFunction(
        expected =>
          document.body.innerText
            .split('\n')
            .some(line => line.trim() === expected),
        deleted,
        { timeout: 30_000 },
      );
      log(`the task's output says: ${deleted}`);
      await screenshot('decommission-run');
    },
  },
];

export const readOnlyPortalTests = [
  {
    name: 'a guest without irsa.entity.verify, irsa.role.delete or irsa.role.migrate sees card and tab but no Re-verify, Decommission or Move',
    async run({ page, appUrl, screenshot, log }) {
      await permissionSettled(page, 'irsa.entity.verify', () =>
        openEntity(page, appUrl, 'payments-api'),
      );
      // This guest cannot verify: wait for the scheduled run's report.
      const verifiedAt = page.getByTestId('irsa-verified-at');
      await verifiedAt.or(page.getByText('Not verified yet')).first().waitFor();
      const deadline = Date.now() + 120_000;
      while (!(await verifiedAt.isVisible())) {
        if (Date.now() > deadline) {
          throw new Error('no scheduled report for payments-api in 120 s');
        }
        await permissionSettled(page, 'irsa.entity.verify', () =>
          page.reload(),
        );
        await verifiedAt.waitFor({ timeout: 5_000 }).catch(() => {});
      }
      const verifyButtons = await page
        .getByRole('button', { name: /re-verify|verify now/i })
        .count();
      if (verifyButtons) {
        throw new Error(`${verifyButtons} verify button(s) on the card`);
      }
      await screenshot('06-read-only-card');
      await permissionSettled(
        page,
        ['irsa.role.delete', 'irsa.role.migrate'],
        () => openTab(page, 'payments-api'),
      );
      const tabButtons = await page
        .getByRole('button', {
          name: /re-verify|verify now|decommission|move to|finish the move/i,
        })
        .count();
      if (tabButtons) {
        throw new Error(`${tabButtons} mutating button(s) on the IAM tab`);
      }
      await screenshot('06-read-only-tab');
    },
  },
];
