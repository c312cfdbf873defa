/** The stdout sink config: its type comes from the schema. */
import { describe, expect, expectTypeOf, it } from 'vitest';
import { validateStdoutSinkConfig } from './index.js';
import type { StdoutSinkConfig } from './index.js';

describe('stdout sink config', () => {
  it('has the type derived from its schema', () => {
    expectTypeOf<StdoutSinkConfig>().toEqualTypeOf<{ pretty: boolean }>();
    expectTypeOf(validateStdoutSinkConfig).returns.toEqualTypeOf<StdoutSinkConfig>();
  });

  it('applies the default to an absent config', () => {
    expect(validateStdoutSinkConfig(undefined)).toStrictEqual({ pretty: false });
  });
});
