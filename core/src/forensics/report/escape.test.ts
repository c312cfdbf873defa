import { describe, expect, it } from 'vitest';
import { escapeHtml, jsonForScript } from './escape.js';

describe('escaping', () => {
  it('escapes the five HTML characters and leaves non-ASCII alone', () => {
    expect(escapeHtml(`<a href="x">Tom & 'Jerry'</a> ü日本`)).toBe('&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt; ü日本');
  });

  it('writes JSON without a single "<", which JSON.parse reads back unchanged', () => {
    const value = { m: '</script><script>alert(1)</script>', c: '<!-- x -->', u: 'ü\u2028' };
    const json = jsonForScript(value);
    expect(json).not.toContain('<');
    expect(JSON.parse(json)).toEqual(value);
  });
});
