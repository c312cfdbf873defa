#!/usr/bin/env node
// The `k8stream` command (`bin` of @k8stream/core). Committed, unlike the compiled CLI in
// dist/, so that npm links it at install time even in a fresh clone that was not built yet.
import { existsSync } from 'node:fs';

const cli = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write('k8stream is not built (core/dist/cli/main.js is missing): run `npm run build` at the repository root\n');
  process.exit(1);
}
const { main } = await import(cli.href);
void main();
