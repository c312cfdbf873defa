/**
 * `node:http` for k8stream's own modules, loaded with `require` instead of `import` (issue 14,
 * "measure what the code itself costs in RSS at idle").
 *
 * An ES-module import of a built-in (`import http from 'node:http'`, or a named import) builds the
 * module's namespace from all its exports, which calls `http`'s lazy getters: `WebSocket`,
 * `CloseEvent` and `MessageEvent` load Node's bundled undici and compile its llhttp WebAssembly.
 * Measured on Node 24.21 (`npm run bench`, scenario I): 61 MB RSS for a `node` that only imports
 * `node:http`, 47 MB with `require('node:http')`, 43 MB for `node` alone; k8stream never uses those
 * classes. `process.getBuiltinModule` returns the same object as `require` without touching the
 * getters. (The dependencies' own imports of `node:http` are answered the same way by
 * lean-client-node.ts.) A test (node-http.test.ts) fails if the binary's code loads undici again.
 */
import type * as Http from 'node:http';

/** The `node:http` module, without its lazy WebSocket/undici exports evaluated. */
export const http: typeof Http = process.getBuiltinModule('node:http');

/** `http.STATUS_CODES`: the standard reason phrase of each status code. */
export const STATUS_CODES: Readonly<Record<number, string | undefined>> = http.STATUS_CODES;
