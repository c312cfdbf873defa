#!/usr/bin/env node
/** The `k8stream` binary. Bad input prints one clear message (stack only with --debug). */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setupProcess } from './process-setup.js';

const self = fileURLToPath(import.meta.url);
const invoked = process.argv[1] ? realpathSync(process.argv[1]) : '';
if (invoked === self) {
  // Before anything loads @kubernetes/client-node, hence the dynamic import of the rest of k8stream
  // (a static import would be evaluated before this line). See process-setup.ts.
  setupProcess();
  const { runCli } = await import('./commands.js');
  void runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() }).then(
    (code) => {
      process.exitCode = code;
    },
  );
}
