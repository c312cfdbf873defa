// The suite of pdk-modules.test.ts again, on the Extism JS SDK kernel (the fallback path): every
// real PDK module through k8stream's SDK path, compared with the official SDK. Its last test
// checks that every worker reported the SDK kernel (kernels.fixture.ts).
import { KERNEL_ENV } from './instance.js';

process.env[KERNEL_ENV] = 'sdk';
await import('./pdk-modules.test.js');
