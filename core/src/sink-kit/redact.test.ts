import { describe, expect, it } from 'vitest';
import { REDACTED, redact } from './redact.js';

describe('redact', () => {
  it('replaces every occurrence of every given secret with one marker', () => {
    expect(REDACTED).toBe('[REDACTED]');
    expect(redact('key s3cr3t! then s3cr3t! and hunter2', ['s3cr3t!', 'hunter2'])).toBe('key [REDACTED] then [REDACTED] and [REDACTED]');
  });

  it('masks short secrets too, and ignores empty ones', () => {
    expect(redact('pin 42x is wrong', ['42x', ''])).toBe('pin [REDACTED] is wrong');
  });

  it('masks a secret that contains another one as a whole', () => {
    const password = 'pa55';
    const encoded = Buffer.from(`alice:${password}`).toString('base64');
    expect(redact(`denied ${encoded} (${password})`, [password, encoded])).toBe('denied [REDACTED] ([REDACTED])');
    expect(redact('abc-abcdef', ['abc', 'abcdef'])).toBe('[REDACTED]-[REDACTED]');
  });

  it('also applies the core pattern rules (bearer tokens, URL passwords, signing parameters)', () => {
    expect(redact('invalid Bearer eyJ.abc.def')).toBe('invalid Bearer [REDACTED]');
    expect(redact('GET https://bob:hunter22@h/x failed')).toBe('GET https://bob:[REDACTED]@h/x failed');
    expect(redact('https://h/o?X-Amz-Signature=abc&x=1')).toBe('https://h/o?X-Amz-Signature=[REDACTED]&x=1');
  });

  it('leaves ordinary text alone and is idempotent', () => {
    const plain = 'POST https://collector.example/ingest answered 400: bad line';
    expect(redact(plain, ['zzz'])).toBe(plain);
    const once = redact('token q1w2 Bearer abc', ['q1w2']);
    expect(redact(once, ['q1w2'])).toBe(once);
    expect(once).not.toContain('q1w2');
  });
});
