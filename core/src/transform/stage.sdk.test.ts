// The suite of stage.test.ts again, on the Extism JS SDK kernel (the fallback path): workers
// read K8STREAM_TRANSFORM_KERNEL when they instantiate a transform. The plain run of
// stage.test.ts exercises the fast kernel for every module it can serve.
// Its last test checks that every worker reported the SDK kernel (kernels.fixture.ts).
import { KERNEL_ENV } from './instance.js';

process.env[KERNEL_ENV] = 'sdk';
await import('./stage.test.js');
