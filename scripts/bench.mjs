// `npm run bench [-- name...]`: runs bench/<name>.ts (all of them without a
// name) under Node 24 with Backstage's TypeScript transform. Benchmarks print
// markdown tables; they measure, they never pass or fail on a timing.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';

const available = readdirSync('bench')
  .filter(file => file.endsWith('.ts') && !file.startsWith('_'))
  .map(file => file.replace(/\.ts$/, ''))
  .sort();
const requested = process.argv.slice(2);
const unknown = requested.filter(name => !available.includes(name));
if (unknown.length) {
  console.error(
    `[bench] unknown benchmark(s): ${unknown.join(', ')}; available: ${available.join(', ')}`,
  );
  process.exit(2);
}
let failed = false;
for (const name of requested.length ? requested : available) {
  console.log(`\n[bench] ${name} (node ${process.version})`);
  const result = spawnSync(
    process.execPath,
    [
      '--expose-gc',
      '--require',
      './node_modules/@backstage/cli/config/nodeTransform.cjs',
      `bench/${name}.ts`,
    ],
    { stdio: 'inherit', env: { ...process.env, NODE_ENV: 'production' } },
  );
  if (result.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
