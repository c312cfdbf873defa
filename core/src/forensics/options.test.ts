import { describe, expect, it } from 'vitest';
import { K8streamError } from '../errors.js';
import { parseCommandArgs, sharedOptionsHelp } from './options.js';

function failure(run: () => unknown): K8streamError {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(K8streamError);
    return err as K8streamError;
  }
  throw new Error('expected an error');
}

const OWN = { format: { type: 'string', value: 'FORMAT', help: 'output' }, output: { type: 'string', short: 'o', value: 'FILE', help: 'file' } } as const;

describe('the shared options', () => {
  it('parses every shared option, the command’s own, and positionals', () => {
    const p = parseCommandArgs(
      'query',
      [
        '--archive',
        's3://b/events',
        '-c',
        'k.yaml',
        '--cluster=prod',
        '--from',
        '-2h',
        '--to',
        'now',
        '--tz',
        'Europe/Paris',
        '--endpoint',
        'http://127.0.0.1:9000',
        '--region',
        'eu-west-1',
        '--force-path-style',
        '--layout',
        '{cluster}/{batchId}{ext}',
        '--format',
        'csv',
        '-o',
        'out.html',
        'SELECT 1',
      ],
      OWN,
    );
    expect(p.shared).toEqual({
      archive: 's3://b/events',
      config: 'k.yaml',
      cluster: 'prod',
      from: '-2h',
      to: 'now',
      tz: 'Europe/Paris',
      endpoint: 'http://127.0.0.1:9000',
      region: 'eu-west-1',
      forcePathStyle: true,
      layout: '{cluster}/{batchId}{ext}',
      debug: false,
      help: false,
    });
    expect(p.own).toEqual({ format: 'csv', output: 'out.html' });
    expect(p.positionals).toEqual(['SELECT 1']);
  });

  it('--sink, --since, --help and a positional after --', () => {
    const p = parseCommandArgs('timeline', ['--sink', 'archive', '--since', '2h', '-h', '--', '--not-an-option']);
    expect(p.shared).toMatchObject({ sink: 'archive', since: '2h', help: true });
    expect(p.positionals).toEqual(['--not-an-option']);
  });

  it('unknown options are named, all of them, with the command', () => {
    const err = failure(() => parseCommandArgs('query', ['--archive', 'x', '--frmo', '10:00', '-x', 'SELECT 1']));
    expect(err.code).toBe('ARGUMENT_INVALID');
    expect(err.message).toBe('unknown options --frmo, -x for k8stream query');
    expect(err.hint).toBe('k8stream query --help lists the options');
  });

  it('an option without its value, a value given to a flag, and --archive with --sink are errors', () => {
    expect(failure(() => parseCommandArgs('query', ['--from'])).message).toBe('--from needs a value (T)');
    expect(failure(() => parseCommandArgs('query', ['--from', '--to', '10:00'])).message).toBe('--from needs a value (T)');
    expect(failure(() => parseCommandArgs('query', ['--force-path-style=yes'])).message).toBe('--force-path-style takes no value (got "yes")');
    expect(failure(() => parseCommandArgs('query', ['--archive', 'a', '--sink', 'b'])).message).toBe('--archive and --sink name the archive twice; give one');
  });

  it('help lists every shared option with its value name', () => {
    const help = sharedOptionsHelp();
    for (const flag of [
      '--archive LOC',
      '--sink NAME',
      '-c, --config FILE',
      '--from T',
      '--to T',
      '--since D',
      '--tz ZONE',
      '--endpoint URL',
      '--region R',
      '--force-path-style',
      '--layout TEMPLATE',
    ])
      expect(help).toContain(flag);
  });
});
