import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { CONFIG_REFERENCE_DOC, REFERENCE_END, REFERENCE_START, renderConfigReference } from './reference.js';

describe('.k8streamrc reference in docs/configuration.md', () => {
  it('lists every key with its default, in sync with the definition', async () => {
    const doc = await readFile(CONFIG_REFERENCE_DOC, 'utf8');
    const start = doc.indexOf(REFERENCE_START);
    const end = doc.indexOf(REFERENCE_END);
    expect(start).toBeGreaterThan(0);
    // Stale? Run `npm run docs`.
    expect(doc.slice(start + REFERENCE_START.length, end).trim()).toBe(renderConfigReference());
  });

  it('has a row per key with type and default', () => {
    const table = renderConfigReference();
    expect(table).toContain('| `sinks[].batch.maxEvents` | integer |');
    expect(table).toContain('| `delivery` | "at-least-once" \\| "at-most-once" | `"at-least-once"` |');
  });
});
