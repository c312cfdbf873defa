import { describe, expect, it } from 'vitest';
import { parseCli } from './args.js';

describe('parseCli log options', () => {
  it('reads --log-format and --log-level', () => {
    expect(parseCli(['run', '--log-format', 'json', '--log-level', 'debug'])).toMatchObject({ logFormat: 'json', logLevel: 'debug' });
    expect(parseCli([])).toMatchObject({ command: 'run', logFormat: undefined, logLevel: undefined });
  });

  it('falls back to K8STREAM_LOG_FORMAT / K8STREAM_LOG_LEVEL, flags win', () => {
    const env = { K8STREAM_LOG_FORMAT: 'json', K8STREAM_LOG_LEVEL: 'warn' };
    expect(parseCli([], env)).toMatchObject({ logFormat: 'json', logLevel: 'warn' });
    expect(parseCli(['--log-format', 'pretty', '--log-level', 'error'], env)).toMatchObject({ logFormat: 'pretty', logLevel: 'error' });
    expect(parseCli([], { K8STREAM_LOG_FORMAT: ' ', K8STREAM_LOG_LEVEL: '' })).toMatchObject({ logFormat: undefined, logLevel: undefined });
  });

  it('rejects bad values, naming where they came from', () => {
    expect(() => parseCli(['--log-format', 'xml'])).toThrow(/--log-format: expected "pretty" or "json", got "xml"/);
    expect(() => parseCli([], { K8STREAM_LOG_FORMAT: 'xml' })).toThrow(/K8STREAM_LOG_FORMAT: expected "pretty" or "json", got "xml"/);
    expect(() => parseCli([], { K8STREAM_LOG_LEVEL: 'trace' })).toThrow(/K8STREAM_LOG_LEVEL: expected debug, info, warn or error, got "trace"/);
  });
});
