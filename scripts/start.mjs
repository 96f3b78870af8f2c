// Starts the demo portal: the app on http://localhost:3000 and the backend on
// :7007, on the embedded sandbox (app-config.yaml). Runs under the project's
// Node 24 through "npm start". Extra arguments go to `backstage-cli repo start`,
// e.g. `npm start -- --config app-config.yaml --config app-config.production.yaml`;
// config paths are made absolute because each package starts in its own folder.
import { spawn } from 'node:child_process';
import path from 'node:path';

const extra = process.argv
  .slice(2)
  .map((arg, i, all) => (all[i - 1] === '--config' ? path.resolve(arg) : arg));
console.log(
  `[start] node ${process.version}: backstage-cli repo start ${extra.join(' ')}`,
);
const child = spawn(
  process.execPath,
  ['node_modules/.bin/backstage-cli', 'repo', 'start', ...extra],
  { stdio: 'inherit' },
);
child.on('close', code => process.exit(code ?? 1));
