// Config readers (assembly/config.ts) and the config JSON reader (assembly/json.ts).
import { afterEach, describe, expect, it } from 'vitest';
import { sampleRecord, toExtismConfig } from '../testing.js';
import type { TransformHandle } from '../testing.js';
import { openHarness } from './harness.fixture.js';

const open: TransformHandle[] = [];
async function harness(fn: string, config: Record<string, unknown> = {}): Promise<TransformHandle> {
  const h = await openHarness(fn, config);
  open.push(h);
  return h;
}

afterEach(async () => {
  await Promise.all(open.splice(0).map((h) => h.close()));
});

async function dump(config: Record<string, unknown>): Promise<Record<string, unknown>> {
  const h = await harness('config_dump', config);
  return JSON.parse(await h.callRaw(sampleRecord())) as Record<string, unknown>;
}

describe('toExtismConfig', () => {
  it('encodes values the way k8stream passes transforms[].config', () => {
    expect(toExtismConfig({ s: 'x', n: 3, b: false, l: ['a', 'b'], m: { k: 'v' }, skip: null, undef: undefined })).toEqual({
      s: 'x',
      n: '3',
      b: 'false',
      l: '["a","b"]',
      m: '{"k":"v"}',
    });
  });
});

describe('config readers', () => {
  it('return defaults when nothing is set', async () => {
    expect(await dump({})).toEqual({ s: null, d: 'fallback', b: false, n: -1, l: [], m: {}, re: null, errors: [] });
  });

  it('read every kind of value', async () => {
    expect(await dump({ s: 'ünïcode ✓', d: 'set', b: true, n: 42, l: ['x', 'y z'], m: { team: 'payments', owner: 'ana' }, re: '^hello' })).toEqual({
      s: 'ünïcode ✓',
      d: 'set',
      b: true,
      n: 42,
      l: ['x', 'y z'],
      m: { team: 'payments', owner: 'ana' },
      re: true,
      errors: [],
    });
  });

  it('accept the usual spellings and a comma-separated list', async () => {
    expect(await dump({ b: 'yes', n: '-7', l: ' a, b ,,c ' })).toMatchObject({ b: true, n: -7, l: ['a', 'b', 'c'], errors: [] });
    expect(await dump({ b: 'off', n: '+5' })).toMatchObject({ b: false, n: 5 });
  });

  it('record every problem, naming the key but not the value', async () => {
    expect(await dump({ b: 'maybe', n: '12x', l: '["a", 3]', m: '{"team": 1, "ok": "x"}', re: '(open' })).toEqual({
      s: null,
      d: 'fallback',
      b: false,
      n: -1,
      l: ['a'],
      m: { ok: 'x' },
      re: null,
      errors: [
        'config "b": expected true or false',
        'config "n": expected an integer',
        'config "l[1]": expected a string, got number',
        'config "m.team": expected a string, got number',
        'config "re": invalid regex /(open/: missing \')\' at offset 0',
      ],
    });
    expect(await dump({ l: '[broken', m: 'not json', n: '99999999999999999999' })).toMatchObject({
      errors: ['config "n": expected an integer', 'config "l": invalid JSON array: unexpected character at offset 1', 'config "m": invalid JSON: unexpected character at offset 0'],
    });
    expect(await dump({ m: '["x"]' })).toMatchObject({ errors: ['config "m": expected an object of strings, got array'] });
  });
});

describe('config JSON reader', () => {
  async function parse(text: string): Promise<unknown> {
    const h = await harness('json');
    return JSON.parse(await h.callRaw(text));
  }

  it('parses what JSON.parse parses, keeping key order', async () => {
    const docs = [
      '{"b":1,"a":[true,false,null,"x"],"c":{"d":-1.5e3}}',
      '  [ "\\u00e9\\ud83d\\ude00\\n\\t\\"\\\\\\/" , 0 , 12.25 ]  ',
      '"just a string"',
      '{}',
      '[]',
      '{"dup":1,"other":2,"dup":3}',
    ];
    for (const d of docs) expect(await parse(d)).toEqual({ ok: JSON.parse(d) });
  });

  it('reports invalid JSON with its offset', async () => {
    expect(await parse('{"a":1,}')).toEqual({ error: 'expected a string key at offset 7' });
    expect(await parse('[1 2]')).toEqual({ error: "expected ',' or ']' at offset 3" });
    expect(await parse('"unterminated')).toEqual({ error: 'unterminated string at offset 13' });
    expect(await parse('"bad \\q escape"')).toEqual({ error: 'invalid escape at offset 6' });
    expect(await parse('01')).toEqual({ error: 'unexpected text after the JSON value at offset 1' });
    expect(await parse('tru')).toEqual({ error: 'unexpected character at offset 0' });
    expect(await parse('')).toEqual({ error: 'unexpected end of JSON at offset 0' });
    expect(await parse(`${'['.repeat(100)}${']'.repeat(100)}`)).toEqual({ error: 'JSON nested too deeply at offset 65' });
  });
});
