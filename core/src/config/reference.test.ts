import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { REFERENCE_END, REFERENCE_START, renderConfigReference } from './reference.js';

describe('.k8streamrc reference in the README', () => {
  it('lists every key with its default, in sync with the definition', async () => {
    const readme = await readFile(fileURLToPath(new URL('../../../README.md', import.meta.url)), 'utf8');
    const start = readme.indexOf(REFERENCE_START);
    const end = readme.indexOf(REFERENCE_END);
    expect(start).toBeGreaterThan(0);
    // Stale? Run `npx tsc -b && node core/dist/config/write-schema.js`.
    expect(readme.slice(start + REFERENCE_START.length, end).trim()).toBe(renderConfigReference());
  });

  it('has a row per key with type and default', () => {
    const table = renderConfigReference();
    expect(table).toContain('| `sinks[].batch.maxEvents` | integer |');
    expect(table).toContain('| `delivery` | "at-least-once" \\| "at-most-once" | `"at-least-once"` |');
  });
});
