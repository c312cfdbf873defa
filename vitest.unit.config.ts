// `npm run test:unit`: the tests that run in seconds. Everything in core/, plugins/ and the fake
// API server's own tests, except those that start servers, child processes, worker threads,
// tmpfs mounts or WebAssembly (listed below), and the end-to-end suites under test/, transforms/
// and examples/. A new test that starts any of those belongs in SLOW. `npm test` still runs all.
import { defineConfig } from 'vitest/config';

const SLOW = [
  'core/src/transform/**', // wasm, worker pools, asc builds
  '**/*.sdk.test.ts', // the Extism SDK
  'core/src/checkpoint/{keeper,resume}.test.ts',
  'core/src/config/{definition,load}.test.ts',
  'core/src/dispatch/disk-buffer.test.ts',
  'core/src/dispatch/disk-queue/{crash,disk-full}.test.ts',
  'core/src/enrich/enrich.integration.test.ts',
  'core/src/kube/{client,kubeconfig,listwatch}.test.ts',
  'core/src/leader/elector.test.ts',
  'core/src/ops/ops.test.ts',
  'core/src/runtime-delivery.test.ts',
  'core/src/source/kubernetes/{e2e,events-source,fault-storm,involved-labels,resume,soak}.test.ts',
  'core/src/testing/compliance.test.ts',
  'core/src/record/timestamp.test.ts', // a child node per time zone
  'core/src/util/{expose-gc,lean-client-node,logger,node-http}.test.ts',
  'plugins/sink-file/src/{compliance,sink}.test.ts',
  'plugins/sink-gcs/src/{compliance,errors,gcs-server,sink}.test.ts',
  'plugins/sink-http/src/{compliance,recipes,sink,tls}.test.ts',
  'plugins/sink-s3/src/{compliance,sink}.test.ts',
  'plugins/sink-stdout/src/{compliance,sink}.test.ts',
  'test/apiserver/src/{client-node,faults,https,kubectl,list,rest,store,storm,watch}.test.ts',
];

export default defineConfig({
  test: {
    include: ['core/src/**/*.test.ts', 'plugins/*/src/**/*.test.ts', 'test/apiserver/src/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**', ...SLOW],
    testTimeout: 10_000,
  },
});
