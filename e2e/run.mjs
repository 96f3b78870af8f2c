// Browser tests of the demo portal: Debian's chromium driven by
// playwright-core, against the portal started as the README starts it.
// Prints what it does, saves a screenshot of every state to e2e/artifacts,
// and ends with "e2e: N passed, N failed".
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { APP_URL, startPortal } from './portal.mjs';
import { fullPortalTests, readOnlyPortalTests, signIn } from './tests.mjs';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = path.resolve('e2e/artifacts');
const log = message => console.log(`[e2e] ${message}`);
// E2E_ONLY=<regular expression> runs only the tests whose name matches it
// (`E2E_ONLY='fleet|Pod Identity' npm run test:e2e`); a suite with none left
// does not start its portal.
const only = process.env.E2E_ONLY
  ? new RegExp(process.env.E2E_ONLY, 'i')
  : undefined;

async function withBrowser(fn) {
  const profile = await mkdtemp(path.join(os.tmpdir(), 'irsa-e2e-profile-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1400, height: 1000 },
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  try {
    return await fn(context);
  } finally {
    await context.close();
    await rm(profile, { recursive: true, force: true });
  }
}

async function runSuite(name, overlays, allTests, results) {
  const tests = allTests.filter(test => !only || only.test(test.name));
  if (!tests.length) return;
  log(`--- ${name}`);
  let portal;
  try {
    portal = await startPortal({ overlays, log });
    await withBrowser(async context => {
      const page = context.pages()[0] ?? (await context.newPage());
      page.setDefaultTimeout(30_000);
      const screenshot = async label => {
        const file = path.join(ARTIFACTS, `${label}.png`);
        await page.screenshot({ path: file, fullPage: true });
        log(`  screenshot ${path.relative(process.cwd(), file)}`);
      };
      // Once per portal: every test then starts signed in, alone or in any subset.
      await signIn(page, APP_URL, m => log(`  ${m}`));
      for (const test of tests) {
        const started = Date.now();
        try {
          await test.run({
            page,
            screenshot,
            log: m => log(`  ${m}`),
            appUrl: APP_URL,
          });
          results.push({ name: test.name, ok: true });
          log(
            `ok   ${test.name} (${((Date.now() - started) / 1000).toFixed(1)} s)`,
          );
        } catch (error) {
          results.push({ name: test.name, ok: false });
          log(`FAIL ${test.name}: ${error.stack ?? error}`);
          await screenshot(`FAILED-${test.name.replace(/\W+/g, '-')}`).catch(
            () => {},
          );
        }
      }
    });
  } catch (error) {
    results.push({ name: `${name}: portal`, ok: false });
    log(`FAIL ${name}: ${error.stack ?? error}`);
  } finally {
    if (portal) {
      await portal.stop();
      log('portal stopped');
    }
  }
}

// The README promises `npm install && npm test` on a fresh machine: install
// Debian's chromium when it is missing and we may (root with apt-get);
// otherwise skip with one line that says how to install it.
function installChromium() {
  const isRoot = process.getuid?.() === 0;
  if (!isRoot || !existsSync('/usr/bin/apt-get')) return false;
  const apt = args => {
    log(`apt-get ${args.join(' ')}`);
    return (
      spawnSync('apt-get', args, {
        stdio: ['ignore', 'ignore', 'inherit'],
        env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      }).status === 0
    );
  };
  const install = ['install', '-y', '--no-install-recommends', 'chromium'];
  return apt(install) || (apt(['update']) && apt(install));
}

if (!existsSync(CHROMIUM)) {
  log(`${CHROMIUM} not found: installing Debian's chromium`);
  if (!installChromium() || !existsSync(CHROMIUM)) {
    console.log(
      `[e2e] skipped: no browser at ${CHROMIUM} and it could not be installed here; install it with "sudo apt-get install -y chromium" (or set CHROMIUM_PATH) and run npm test again`,
    );
    console.log('e2e: 0 passed, 0 failed, 1 skipped');
    process.exit(0);
  }
}
await mkdir(ARTIFACTS, { recursive: true });
const results = [];
await runSuite('demo portal (guest may verify)', [], fullPortalTests, results);
await runSuite(
  'read-only portal (guest may not verify)',
  ['app-config.readonly.yaml'],
  readOnlyPortalTests,
  results,
);
const passed = results.filter(r => r.ok).length;
const failed = results.length - passed;
console.log(`e2e: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
