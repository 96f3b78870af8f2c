// The whole test suite: unit and integration tests (jest, through
// backstage-cli), then the browser tests of the demo portal (e2e/run.mjs).
// Ends with one line "N passed, N failed". `npm test -- --unit` skips the
// browser tests. npm runs this under the Node 24 of the `node` devDependency.
import { spawn } from 'node:child_process';

const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  console.error(
    `Node ${process.versions.node} found; run this through "npm test" so the project's Node 24 is used.`,
  );
  process.exit(1);
}

// Store tests run on SQLite and on the local PostgreSQL 15 (TestDatabases reads this).
process.env.BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING ??=
  'postgresql://postgres@127.0.0.1:5432/test';

function run(label, args, env = {}) {
  console.log(`[test] node ${process.version}: ${label}`);
  return new Promise(resolve => {
    const child = spawn(process.execPath, args, {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    for (const stream of [child.stdout, child.stderr]) {
      stream.on('data', chunk => {
        output += chunk;
        (stream === child.stdout ? process.stdout : process.stderr).write(
          chunk,
        );
      });
    }
    child.on('close', code => resolve({ code, output }));
  });
}

const count = (word, line) =>
  Number(line.match(new RegExp(`(\\d+) ${word}`))?.[1] ?? 0);
let passed = 0;
let failed = 0;
let skipped = 0;
let ok = true;

const unit = await run(
  'backstage-cli repo test',
  ['node_modules/.bin/backstage-cli', 'repo', 'test', '--watchAll=false'],
  { CI: 'true' },
);
for (const [, line] of unit.output.matchAll(/^Tests:\s+(.*)$/gm)) {
  passed += count('passed', line);
  failed += count('failed', line);
}
ok &&= unit.code === 0;

if (!process.argv.includes('--unit')) {
  const e2e = await run('e2e/run.mjs (Debian chromium via playwright-core)', [
    'e2e/run.mjs',
  ]);
  const line = e2e.output.match(/^e2e: (.*)$/m)?.[1] ?? '';
  passed += count('passed', line);
  failed += count('failed', line) + (line ? 0 : 1);
  skipped += count('skipped', line);
  ok &&= e2e.code === 0;
}

console.log(
  `${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`,
);
process.exit(ok && failed === 0 && passed > 0 ? 0 : 1);
