import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { ERRORS_DOC, ERRORS_END, ERRORS_SOURCE, ERRORS_START, parseErrorCodes, renderErrorCodes, renderErrorCodesDoc } from './errors-doc.js';
import { K8streamError } from './errors.js';
import type { ErrorCode } from './errors.js';

describe('docs/errors.md', () => {
  it('has the error-code table generated from errors.ts (stale? run `npm run docs`)', async () => {
    const doc = await readFile(ERRORS_DOC, 'utf8');
    const start = doc.indexOf(ERRORS_START);
    const end = doc.indexOf(ERRORS_END);
    expect(start).toBeGreaterThan(0);
    expect(end).toBeGreaterThan(start);
    expect(doc.slice(start + ERRORS_START.length, end).trim()).toBe(await renderErrorCodesDoc());
  });

  it('every ErrorCode has a doc comment in errors.ts', async () => {
    const codes = parseErrorCodes(await readFile(ERRORS_SOURCE, 'utf8'));
    expect(codes.length).toBeGreaterThan(20);
    expect(codes.filter((c) => !c.doc).map((c) => c.code)).toEqual([]);
    expect(codes.filter((c) => !c.group).map((c) => c.code)).toEqual([]);
  });

  it('parses the union the compiler sees', async () => {
    const codes = parseErrorCodes(await readFile(ERRORS_SOURCE, 'utf8'));
    // A value the type checker accepts only while these are ErrorCode members.
    const known: ErrorCode[] = ['CONFIG_INVALID', 'SINK_PERMANENT', 'KUBE_API_FAILED', 'LEADERSHIP_LOST', 'INTERNAL'];
    for (const code of known) expect(codes.map((c) => c.code)).toContain(new K8streamError(code, '').code);
    expect(new Set(codes.map((c) => c.code)).size).toBe(codes.length);
    expect(codes.find((c) => c.code === 'KUBE_API_FAILED')).toEqual({
      code: 'KUBE_API_FAILED',
      group: 'events and sources',
      doc: 'A Kubernetes API request failed (HTTP status, connection, TLS or timeout).',
    });
  });
});

describe('renderErrorCodes', () => {
  const source = [
    'export type ErrorCode =',
    '  // configuration',
    '  /** The file is missing. */',
    "  | 'A_MISSING'",
    '  /**',
    '   * Two lines,',
    '   * with a | pipe.',
    '   */',
    "  | 'B_TWO_LINES'",
    '  // generic',
    "  | 'C_UNDOCUMENTED';",
  ].join('\n');

  it('refuses a code without a doc comment, naming it', () => {
    expect(() => renderErrorCodes(parseErrorCodes(source))).toThrow('ErrorCode members without a doc comment in core/src/errors.ts: C_UNDOCUMENTED');
  });

  it('renders one table per group, multi-line comments on one line', () => {
    const documented = source.replace("  | 'C_UNDOCUMENTED';", "  /** Last. */\n  | 'C_UNDOCUMENTED';");
    expect(renderErrorCodes(parseErrorCodes(documented))).toBe(
      [
        '### Configuration',
        '',
        '| code | meaning |',
        '| --- | --- |',
        '| `A_MISSING` | The file is missing. |',
        '| `B_TWO_LINES` | Two lines, with a \\| pipe. |',
        '',
        '### Generic',
        '',
        '| code | meaning |',
        '| --- | --- |',
        '| `C_UNDOCUMENTED` | Last. |',
      ].join('\n'),
    );
  });
});
