// Runs the whole test suite and ends with one line "N passed, N failed".
// npm scripts run this under the Node 24 that the `node` devDependency installs.
import { spawn } from 'node:child_process';

const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  console.error(
    `Node ${process.versions.node} found; run this through "npm test" so the project's Node 24 is used.`,
  );
  process.exit(1);
}

// Store tests use PostgreSQL when it runs locally (TestDatabases reads these).
process.env.BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING ??=
  'postgresql://postgres@127.0.0.1:5432/test';

console.log(`[test] node ${process.version}: backstage-cli repo test`);
const child = spawn(
  process.execPath,
  ['node_modules/.bin/backstage-cli', 'repo', 'test', '--watchAll=false'],
  { env: { ...process.env, CI: 'true' }, stdio: ['ignore', 'pipe', 'pipe'] },
);
let output = '';
for (const stream of [child.stdout, child.stderr]) {
  stream.on('data', chunk => {
    output += chunk;
    (stream === child.stdout ? process.stdout : process.stderr).write(chunk);
  });
}
child.on('close', code => {
  const totals = [...output.matchAll(/^Tests:\s+(.*)$/gm)].map(m => m[1]);
  const count = (word, line) =>
    Number(line.match(new RegExp(`(\\d+) ${word}`))?.[1] ?? 0);
  const passed = totals.reduce((n, l) => n + count('passed', l), 0);
  const failed = totals.reduce((n, l) => n + count('failed', l), 0);
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(code === 0 && failed === 0 && passed > 0 ? 0 : 1);
});
