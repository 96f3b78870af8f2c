// Starts the demo portal: the app on http://localhost:3000 and the backend on
// :7007, on the embedded sandbox (app-config.yaml). Runs under the project's
// Node 24 through "npm start"; extra arguments go to `backstage-cli repo start`
// (for example `npm start -- --config app-config.yaml --config app-config.production.yaml`).
import { spawn } from 'node:child_process';

const args = [
  'node_modules/.bin/backstage-cli',
  'repo',
  'start',
  ...process.argv.slice(2),
];
console.log(
  `[start] node ${process.version}: backstage-cli repo start ${process.argv.slice(2).join(' ')}`,
);
const child = spawn(process.execPath, args, { stdio: 'inherit' });
child.on('close', code => process.exit(code ?? 1));
