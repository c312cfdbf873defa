import { describe, expect, expectTypeOf, it } from 'vitest';
import { ValidationError } from '../errors.js';
import * as s from './index.js';

const issuesOf = (schema: s.AnySchema, raw: unknown, options?: s.ParseOptions) => s.validate(schema, raw, options).issues;
const valueOf = <S extends s.AnySchema>(schema: S, raw: unknown): s.Output<S> => {
  const result = s.validate(schema, raw);
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.value;
};

describe('paths', () => {
  it('formats keys, indices and odd keys', () => {
    expect(s.formatPath([])).toBe('(root)');
    expect(s.formatPath(['sinks', 1, 'batch', 'maxEvents'])).toBe('sinks[1].batch.maxEvents');
    expect(s.formatPath(['labels', 'app.kubernetes.io/name'])).toBe('labels["app.kubernetes.io/name"]');
    expect(s.formatPath([0, 'a'])).toBe('[0].a');
  });
  it('joins a prefix and a path', () => {
    expect(s.joinPath('sinks[0].config', 'bucket')).toBe('sinks[0].config.bucket');
    expect(s.joinPath('sinks[0].config', '[2].x')).toBe('sinks[0].config[2].x');
    expect(s.joinPath('sinks[0].config', '(root)')).toBe('sinks[0].config');
    expect(s.joinPath('', 'bucket')).toBe('bucket');
  });
  it('describes received values briefly', () => {
    expect(s.describeValue('ten')).toBe('"ten"');
    expect(s.describeValue('x'.repeat(50))).toBe(`"${'x'.repeat(40)}…"`);
    expect(s.describeValue(3)).toBe('3');
    expect(s.describeValue(null)).toBe('null');
    expect(s.describeValue([1])).toBe('an array');
    expect(s.describeValue({})).toBe('an object');
  });
});

describe('scalars', () => {
  it('string, with nonEmpty and pattern', () => {
    expect(valueOf(s.string(), 'x')).toBe('x');
    expect(issuesOf(s.string(), 3)).toEqual([{ path: '(root)', message: 'expected a string, got 3' }]);
    expect(issuesOf(s.string().nonEmpty(), '')).toEqual([{ path: '(root)', message: 'expected a non-empty string, got ""' }]);
    const label = s.string().pattern(/^[a-z0-9-]+$/, 'a DNS label');
    expect(valueOf(label, 'my-sink')).toBe('my-sink');
    expect(issuesOf(label, 'My Sink')).toEqual([{ path: '(root)', message: 'expected a DNS label, got "My Sink"' }]);
  });

  it('enumOf, with a did-you-mean hint', () => {
    const format = s.enumOf(['ndjson', 'json']);
    expectTypeOf(valueOf(format, 'json')).toEqualTypeOf<'ndjson' | 'json'>();
    expect(valueOf(format, 'json')).toBe('json');
    expect(issuesOf(format, 'ndjosn')).toEqual([{ path: '(root)', message: 'expected one of "ndjson", "json", got "ndjosn" (did you mean "ndjson"?)' }]);
    expect(issuesOf(format, 'csv')).toEqual([{ path: '(root)', message: 'expected one of "ndjson", "json", got "csv"' }]);
    expect(issuesOf(format, 1)).toEqual([{ path: '(root)', message: 'expected one of "ndjson", "json", got 1' }]);
  });

  it('boolean, coercing "true"/"false"', () => {
    expect(valueOf(s.boolean(), false)).toBe(false);
    expect(valueOf(s.boolean(), 'true')).toBe(true);
    expect(valueOf(s.boolean(), 'FALSE')).toBe(false);
    expect(issuesOf(s.boolean(), 'yes')).toEqual([{ path: '(root)', message: 'expected a boolean, got "yes"' }]);
    expect(issuesOf(s.boolean(), 'true', { coerce: false })).toEqual([{ path: '(root)', message: 'expected a boolean, got "true"' }]);
  });

  it('integer and number with bounds, coercing numeric strings', () => {
    expect(valueOf(s.integer().positive(), '10')).toBe(10);
    expect(valueOf(s.number(), ' 2.5 ')).toBe(2.5);
    expect(issuesOf(s.integer().positive(), 'ten')).toEqual([{ path: '(root)', message: 'expected a positive integer, got "ten"' }]);
    expect(issuesOf(s.integer().min(1), 0)).toEqual([{ path: '(root)', message: 'expected a positive integer, got 0' }]);
    expect(issuesOf(s.integer().min(0), -1)).toEqual([{ path: '(root)', message: 'expected a non-negative integer, got -1' }]);
    expect(issuesOf(s.integer(), 1.5)).toEqual([{ path: '(root)', message: 'expected an integer, got 1.5' }]);
    expect(issuesOf(s.integer().min(1).max(10), 11)).toEqual([{ path: '(root)', message: 'expected an integer from 1 to 10, got 11' }]);
    expect(issuesOf(s.integer().min(5), 4)).toEqual([{ path: '(root)', message: 'expected an integer >= 5, got 4' }]);
    expect(issuesOf(s.number().positive(), 0)).toEqual([{ path: '(root)', message: 'expected a positive number, got 0' }]);
    expect(issuesOf(s.number().max(1), 2)).toEqual([{ path: '(root)', message: 'expected a number <= 1, got 2' }]);
    expect(issuesOf(s.number(), Number.NaN)).toEqual([{ path: '(root)', message: 'expected a number, got NaN' }]);
    expect(issuesOf(s.number(), '1e3', { coerce: false })).toEqual([{ path: '(root)', message: 'expected a number, got "1e3"' }]);
  });

  it('size and duration', () => {
    expect(valueOf(s.size(), '8MiB')).toBe(8 * 1024 * 1024);
    expect(valueOf(s.size(), 100)).toBe(100);
    expect(valueOf(s.duration(), '30s')).toBe(30_000);
    expect(valueOf(s.duration(), 250)).toBe(250);
    expect(issuesOf(s.size().positive(), 'big')).toEqual([
      { path: '(root)', message: 'expected a positive size (a number of bytes, or a string such as 512KB, 8MiB or 1.5GiB), got "big"' },
    ]);
    expect(issuesOf(s.size().min(1024), '1000B')).toEqual([
      { path: '(root)', message: 'expected a size >= 1KiB (a number of bytes, or a string such as 512KB, 8MiB or 1.5GiB), got "1000B"' },
    ]);
    expect(issuesOf(s.duration().positive(), '0s')).toEqual([
      { path: '(root)', message: 'expected a positive duration (a number of milliseconds, or a string such as 250ms, 30s, 5m or 1h), got "0s"' },
    ]);
  });

  it('any accepts everything', () => {
    expect(valueOf(s.any(), { a: [1] })).toEqual({ a: [1] });
    expect(valueOf(s.any(), null)).toBe(null);
  });
});

describe('absence, null and defaults', () => {
  it('reports a missing required value', () => {
    expect(issuesOf(s.object({ use: s.string() }), {})).toEqual([{ path: 'use', message: 'is required' }]);
  });
  it('optional gives undefined and leaves the key out', () => {
    const o = s.object({ a: s.string().optional() });
    expect(valueOf(o, {})).toEqual({});
    expect(Object.keys(valueOf(o, {}))).toEqual([]);
    expectTypeOf(valueOf(o, {})).toEqualTypeOf<{ a?: string }>();
  });
  it('nullable accepts null, and an empty string as null', () => {
    const n = s.number().nullable();
    expect(valueOf(n, null)).toBe(null);
    expect(valueOf(n, '')).toBe(null);
    expect(valueOf(n, '2')).toBe(2);
    expect(issuesOf(s.number(), null)).toEqual([{ path: '(root)', message: 'expected a number, got null' }]);
  });
  it('a default is validated like user input (so sizes and nested defaults resolve)', () => {
    const o = s.object({
      maxBytes: s.size().default('64MiB'),
      inner: s.object({ flag: s.boolean().default(true), n: s.integer().default(3) }).default({}),
    });
    expect(valueOf(o, {})).toEqual({ maxBytes: 64 * 1024 * 1024, inner: { flag: true, n: 3 } });
    expect(valueOf(o, { inner: { n: 4 } })).toEqual({ maxBytes: 64 * 1024 * 1024, inner: { flag: true, n: 4 } });
  });
  it('null counts as absent for a defaulted or optional value (YAML `key:` with nothing after it)', () => {
    const o = s.object({ list: s.array(s.string()).default([]), name: s.string().optional() });
    expect(valueOf(o, { list: null, name: null })).toEqual({ list: [] });
  });
  it('defaults are not shared between results', () => {
    const o = s.object({ list: s.array(s.string()).default([]) });
    const first = valueOf(o, {});
    first.list.push('x');
    expect(valueOf(o, {})).toEqual({ list: [] });
  });
});

describe('object', () => {
  const batch = s.object({ maxEvents: s.integer().positive(), maxBytes: s.size(), maxAgeMs: s.duration() });

  it('rejects unknown keys with a did-you-mean hint, or the list of keys', () => {
    expect(issuesOf(batch, { maxEvents: 1, maxBytes: 1, maxAgeMs: 1, maxEvent: 2 })).toEqual([{ path: 'maxEvent', message: 'unknown key (did you mean "maxEvents"?)' }]);
    expect(issuesOf(batch, { maxEvents: 1, maxBytes: 1, maxAgeMs: 1, colour: 'red' })).toEqual([
      { path: 'colour', message: 'unknown key (expected one of: maxEvents, maxBytes, maxAgeMs)' },
    ]);
  });

  it('reports every issue, present keys in file order, then missing ones', () => {
    expect(issuesOf(batch, { maxAgeMs: 'soon', maxEvents: 'ten', typo: 1 })).toEqual([
      { path: 'maxAgeMs', message: 'expected a duration (a number of milliseconds, or a string such as 250ms, 30s, 5m or 1h), got "soon"' },
      { path: 'maxEvents', message: 'expected a positive integer, got "ten"' },
      { path: 'typo', message: 'unknown key (expected one of: maxEvents, maxBytes, maxAgeMs)' },
      { path: 'maxBytes', message: 'is required' },
    ]);
  });

  it('outputs keys in definition order', () => {
    expect(Object.keys(valueOf(batch, { maxAgeMs: 1, maxBytes: 2, maxEvents: 3 }))).toEqual(['maxEvents', 'maxBytes', 'maxAgeMs']);
  });

  it('rejects non-objects', () => {
    expect(issuesOf(batch, [])).toEqual([{ path: '(root)', message: 'expected an object, got an array' }]);
    expect(issuesOf(batch, 'x')).toEqual([{ path: '(root)', message: 'expected an object, got "x"' }]);
  });

  it('accepts and drops ignored keys', () => {
    const o = s.object({ a: s.integer() }, { ignore: { $schema: s.string().optional() } });
    expect(valueOf(o, { $schema: './schema.json', a: 1 })).toEqual({ a: 1 });
    expect(issuesOf(o, { $schema: 1, a: 1 })).toEqual([{ path: '$schema', message: 'expected a string, got 1' }]);
  });

  it('checkPartial sees the valid fields even when others fail', () => {
    const o = s.object({ kind: s.enumOf(['a', 'b']), extra: s.string().optional(), n: s.integer() }).checkPartial((value, ctx) => {
      if (value.kind === 'a' && value.extra === undefined) ctx.issue('is required when kind is "a"', 'extra');
    });
    expect(issuesOf(o, { kind: 'a', n: 'x' })).toEqual([
      { path: 'n', message: 'expected an integer, got "x"' },
      { path: 'extra', message: 'is required when kind is "a"' },
    ]);
  });

  it('refine runs on valid values and may rewrite them', () => {
    const range = s
      .object({ min: s.integer(), max: s.integer() })
      .refine((value, ctx) => {
        if (value.min > value.max) ctx.issue('must not be greater than max', 'min');
      })
      .refine((value) => ({ ...value, span: value.max - value.min }));
    expect(valueOf(range, { min: 1, max: 3 })).toEqual({ min: 1, max: 3, span: 2 });
    expect(issuesOf(range, { min: 5, max: 3 })).toEqual([{ path: 'min', message: 'must not be greater than max' }]);
  });
});

describe('array, record, union', () => {
  it('array reports item issues by index', () => {
    expect(valueOf(s.array(s.integer()), [1, '2'])).toEqual([1, 2]);
    expect(issuesOf(s.object({ xs: s.array(s.integer()) }), { xs: [1, 'a', 2.5] })).toEqual([
      { path: 'xs[1]', message: 'expected an integer, got "a"' },
      { path: 'xs[2]', message: 'expected an integer, got 2.5' },
    ]);
    expect(issuesOf(s.array(s.string()), 'x')).toEqual([{ path: '(root)', message: 'expected an array, got "x"' }]);
    expect(issuesOf(s.array(s.string()).min(1), [])).toEqual([{ path: '(root)', message: 'expected an array of at least 1 item, got 0 items' }]);
  });

  it('checkRaw sees the raw input even when items are invalid', () => {
    const unique = s.array(s.object({ id: s.string(), n: s.integer() })).checkRaw((raw, ctx) => {
      if (!Array.isArray(raw)) return;
      const seen = new Set<unknown>();
      raw.forEach((item: { id?: unknown }, index) => {
        if (seen.has(item.id)) ctx.issue(`duplicate id ${String(item.id)}`, index, 'id');
        seen.add(item.id);
      });
    });
    expect(
      issuesOf(unique, [
        { id: 'a', n: 'x' },
        { id: 'b', n: 1 },
        { id: 'a', n: 2 },
      ]),
    ).toEqual([
      { path: '[0].n', message: 'expected an integer, got "x"' },
      { path: '[2].id', message: 'duplicate id a' },
    ]);
    expect(issuesOf(unique, 'nope')).toEqual([{ path: '(root)', message: 'expected an array, got "nope"' }]);
  });

  it('record validates every value under its key', () => {
    expect(valueOf(s.record(s.integer()), { a: 1, b: '2' })).toEqual({ a: 1, b: 2 });
    expect(issuesOf(s.record(s.integer()), { 'app.kubernetes.io/x': 'y' })).toEqual([{ path: '["app.kubernetes.io/x"]', message: 'expected an integer, got "y"' }]);
  });

  it('union takes the first alternative that validates', () => {
    const names = s.union(s.string(), s.array(s.string()));
    expectTypeOf(valueOf(names, 'a')).toEqualTypeOf<string | string[]>();
    expect(valueOf(names, 'a')).toBe('a');
    expect(valueOf(names, ['a'])).toEqual(['a']);
    expect(s.oneOf).toBe(s.union);
  });

  it('union reports the issues of the alternative of the same kind, else names every alternative', () => {
    const names = s.object({ ns: s.union(s.string(), s.array(s.string())) });
    expect(issuesOf(names, { ns: ['a', 3] })).toEqual([{ path: 'ns[1]', message: 'expected a string, got 3' }]);
    expect(issuesOf(names, { ns: 3 })).toEqual([{ path: 'ns', message: 'expected a string or an array, got 3' }]);
  });

  it('map transforms the validated value', () => {
    const list = s
      .union(s.string(), s.array(s.string()))
      .map((v) => (typeof v === 'string' ? v.split(',') : v))
      .default([]);
    expectTypeOf(valueOf(list, 'a,b')).toEqualTypeOf<string[]>();
    expect(valueOf(list, 'a,b')).toEqual(['a', 'b']);
    expect(valueOf(list, undefined)).toEqual([]);
  });

  describe('map: the validated shape differs from the written one', () => {
    const octal = (text: string) => Number.parseInt(text, 8);
    const mode = s.string().pattern(/^[0-7]{3}$/, 'an octal mode');

    it('map then optional: absent stays undefined and fn never sees it', () => {
      let calls = 0;
      const config = s.object({ mode: mode.map((text) => (calls++, octal(text))).optional() });
      expectTypeOf(valueOf(config, {})).toEqualTypeOf<{ mode?: number }>();
      expect(valueOf(config, {})).toStrictEqual({});
      expect(calls).toBe(0);
      expect(valueOf(config, { mode: '640' })).toEqual({ mode: 0o640 });
      expect(issuesOf(config, { mode: '9' })).toEqual([{ path: 'mode', message: 'expected an octal mode, got "9"' }]);
    });

    it("keeps the inner schema's absence rules: optional, default and nullable", () => {
      const optional = s.object({ mode: mode.optional().map((text) => (text === undefined ? ('umask' as const) : octal(text))) });
      expectTypeOf(valueOf(optional, {}).mode).toEqualTypeOf<number | 'umask'>();
      expect(valueOf(optional, {})).toEqual({ mode: 'umask' });
      expect(valueOf(optional, { mode: null })).toEqual({ mode: 'umask' }); // YAML `mode:`
      const defaulted = mode.default('644').map(octal);
      expect(valueOf(defaulted, undefined)).toBe(0o644);
      expect(s.object({ mode: defaulted }).toJsonSchema().required).toBeUndefined();
      const nullable = s
        .integer()
        .nullable()
        .map((n) => n ?? 'none');
      expect(valueOf(nullable, null)).toBe('none');
      expect(valueOf(nullable, '')).toBe('none');
      expect(issuesOf(s.object({ mode: mode.map(octal) }), {})).toEqual([{ path: 'mode', message: 'is required' }]);
    });

    it('leaves the JSON Schema as the unmapped one', () => {
      const plain = s.object({ mode: mode.optional().describe('File mode.'), n: s.integer().default(3).describe('N.') });
      const mapped = s.object({ mode: mode.map(octal).optional().describe('File mode.'), n: s.integer().default(3).map(String).describe('N.') });
      expect(mapped.toJsonSchema()).toStrictEqual(plain.toJsonSchema());
      expect(mapped.toJsonSchema({ interpolation: true })).toStrictEqual(plain.toJsonSchema({ interpolation: true }));
    });
  });
});

describe('parseConfig', () => {
  const config = s.object({
    bucket: s.string().nonEmpty(),
    partSize: s
      .size()
      .min(5 * 1024 * 1024)
      .default('8MiB'),
  });

  it('returns the typed value with defaults', () => {
    const value = s.parseConfig(config, { bucket: 'b' }, { plugin: 's3' });
    expectTypeOf(value).toEqualTypeOf<{ bucket: string; partSize: number }>();
    expect(value).toEqual({ bucket: 'b', partSize: 8 * 1024 * 1024 });
  });

  it('throws one PLUGIN_CONFIG_INVALID ValidationError listing every issue', () => {
    let error: unknown;
    try {
      s.parseConfig(config, { bucket: '', partSize: '1MiB', region: 'x' }, { plugin: 's3' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ValidationError);
    const e = error as ValidationError;
    expect(e.code).toBe('PLUGIN_CONFIG_INVALID');
    expect(e.plugin).toBe('s3');
    expect(e.issues).toEqual([
      { path: 'bucket', message: 'expected a non-empty string, got ""' },
      { path: 'partSize', message: 'expected a size >= 5MiB (a number of bytes, or a string such as 512KB, 8MiB or 1.5GiB), got "1MiB"' },
      { path: 'region', message: 'unknown key (expected one of: bucket, partSize)' },
    ]);
    expect(e.message.split('\n')[0]).toBe('3 configuration errors in the config of plugin "s3":');
  });

  it('can throw CONFIG_INVALID instead', () => {
    expect(() => s.parseConfig(s.integer(), 'x', { code: 'CONFIG_INVALID' })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID', issues: [{ path: '(root)', message: 'expected an integer, got "x"' }] }),
    );
  });
});

describe('JSON Schema', () => {
  it('emits draft 2020-12 with descriptions, defaults, required keys and strictness', () => {
    const def = s
      .object({
        use: s.string().nonEmpty().describe('Plugin.'),
        level: s.enumOf(['info', 'debug']).default('info'),
        maxBytes: s.size().positive().default('8MiB'),
        timeoutMs: s.duration().default(100),
        rate: s.number().positive().nullable().default(null),
        tags: s.record(s.string()).optional(),
        list: s.union(s.string(), s.array(s.string())),
        any: s.any().describe('Anything.'),
      })
      .describe('A sink.');
    expect(s.toJsonSchema(def, { title: 'T' })).toEqual({
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      title: 'T',
      description: 'A sink.',
      type: 'object',
      properties: {
        use: { description: 'Plugin.', type: 'string', minLength: 1 },
        level: { default: 'info', enum: ['info', 'debug'] },
        maxBytes: {
          default: '8MiB',
          anyOf: [
            { type: 'integer', minimum: 1 },
            { type: 'string', pattern: '^\\s*(\\d+(\\.\\d+)?|\\.\\d+)\\s*([kKmMgGtT]([iI]?[bB]?)|[bB])?\\s*$' },
          ],
        },
        timeoutMs: {
          default: 100,
          anyOf: [
            { type: 'number', minimum: 0 },
            {
              type: 'string',
              pattern: '^\\s*((\\d+(\\.\\d+)?|\\.\\d+)\\s*([mM][sS]|[sSmMhHdD])\\s*)+$|^\\s*(\\d+(\\.\\d+)?|\\.\\d+)\\s*$',
            },
          ],
        },
        rate: { default: null, anyOf: [{ type: 'number', exclusiveMinimum: 0 }, { type: 'null' }] },
        tags: { type: 'object', additionalProperties: { type: 'string' } },
        list: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] },
        any: { description: 'Anything.' },
      },
      required: ['use', 'list', 'any'],
      additionalProperties: false,
    });
  });

  it('with interpolation, lets `${VAR}` stand where numbers, booleans and enums go', () => {
    const doc = s.toJsonSchema(s.object({ n: s.integer(), b: s.boolean(), e: s.enumOf(['x']), t: s.string() }), { interpolation: true });
    expect(doc.properties).toEqual({
      n: { anyOf: [{ type: 'integer' }, { $ref: '#/$defs/interpolated' }] },
      b: { anyOf: [{ type: 'boolean' }, { $ref: '#/$defs/interpolated' }] },
      e: { anyOf: [{ enum: ['x'] }, { $ref: '#/$defs/interpolated' }] },
      t: { type: 'string' },
    });
    expect(doc.$defs).toEqual({ interpolated: s.INTERPOLATED_DEF });
  });

  it('object defaults are shown resolved', () => {
    const def = s.object({ inner: s.object({ a: s.boolean().default(true) }).default({}) });
    expect((def.toJsonSchema() as { properties: { inner: { default: unknown } } }).properties.inner.default).toEqual({ a: true });
  });
});
