import { describe, expect, it } from 'vitest';
import { errors, RequestError } from '@nats-io/transport-node';
import { JetStreamApiError } from '@nats-io/jetstream';
import { jserrors } from '@nats-io/jetstream/internal';
import { classifySinkError } from '@k8stream/core/testing';
import { classifyNatsError, describeNatsError, toHealthError, toSendError } from './errors.js';

const api = (err_code: number, code: number, description: string) => new JetStreamApiError({ err_code, code, description });

describe('classifyNatsError', () => {
  it.each([
    ['no responders (JetStream not answering)', new jserrors.JetStreamNotEnabled('jetstream is not enabled'), 'transient'],
    ['no responders', new errors.NoRespondersError('k8s.events.x'), 'transient'],
    ['a request failing with no responders', new RequestError('no responders'), 'transient'],
    ['an ack timeout', new errors.TimeoutError(), 'transient'],
    ['disconnected', new errors.ConnectionError('connection refused'), 'transient'],
    ['a closed connection', new errors.ClosedConnectionError(), 'transient'],
    ['a draining connection', new errors.DrainingConnectionError(), 'transient'],
    ['an authorization violation', new errors.AuthorizationError("'Authorization Violation'"), 'permanent'],
    ['expired credentials', new errors.UserAuthenticationExpiredError('user authentication expired'), 'permanent'],
    ['a permission violation', new errors.PermissionViolationError("Permissions Violation for Publish to 'k8s.x'", 'publish', 'k8s.x'), 'permanent'],
    ['the wrong stream', api(10060, 400, 'expected stream does not match'), 'permanent'],
    ['no such stream', api(10059, 404, 'stream not found'), 'permanent'],
    ['a message over max_msg_size', api(10054, 400, 'message size exceeds maximum allowed'), 'permanent'],
    ['a payload over max_payload', errors.InvalidArgumentError.format('payload', 'max_payload size exceeded'), 'permanent'],
    ['storage exhausted', api(10047, 500, 'insufficient storage resources available'), 'retry-after'],
    ['stream limits (discard new)', api(10077, 503, 'maximum messages exceeded'), 'retry-after'],
    ['JetStream temporarily unavailable (503)', api(10008, 503, 'JetStream system temporarily unavailable'), 'retry-after'],
    ['another 4xx API error', api(10999, 400, 'bad request'), 'permanent'],
    ['another 5xx API error', api(10998, 500, 'internal error'), 'transient'],
    ['anything else', new Error('boom'), 'transient'],
    ['not an error at all', 'text', 'transient'],
  ] as const)('%s → %s', (_what, err, expected) => {
    expect(classifyNatsError(err)).toBe(expected);
    // ... and the error `send` throws is classified the same by the core.
    expect(classifySinkError(toSendError(err, { sink: 'bus', where: 'k8s.events.x' }))).toBe(expected);
  });
});

describe('messages', () => {
  it('name the sink and the subject, say "authentication failed" for auth, carry a hint, and no cause', () => {
    const err = toSendError(new errors.AuthorizationError("'Authorization Violation'"), { sink: 'bus', where: 'k8s.events.x' });
    expect(err).toMatchObject({
      code: 'SINK_PERMANENT',
      message: 'nats sink "bus": authentication failed: AuthorizationError: \'Authorization Violation\'',
      plugin: 'bus',
      path: 'k8s.events.x',
    });
    expect(err.hint).toContain('"auth"');
    expect(err.cause).toBeUndefined();
  });

  it('scrub the secrets in use', () => {
    const leaky = new errors.ConnectionError('failed with token s3cr3t-t0ken');
    expect(describeNatsError(leaky, ['s3cr3t-t0ken'])).toBe('ConnectionError: failed with token [REDACTED]');
    expect(toSendError(leaky, { sink: 'bus', where: 'x', secrets: ['s3cr3t-t0ken'] }).message).not.toContain('s3cr3t-t0ken');
    expect(toHealthError(leaky, { sink: 'bus', where: 'nats://n:4222', step: 'connecting', secrets: ['s3cr3t-t0ken'] }).message).toBe(
      'nats sink "bus": connecting failed: ConnectionError: failed with token [REDACTED]',
    );
  });

  it('health errors are SINK_UNHEALTHY with a reachability hint when the server is not there', () => {
    const err = toHealthError(new errors.ConnectionError('connection refused'), { sink: 'bus', where: 'nats://n:4222', step: 'connecting to nats://n:4222' });
    expect(err).toMatchObject({ code: 'SINK_UNHEALTHY', path: 'nats://n:4222' });
    expect(err.hint).toContain('reachable');
  });

  it('name the JetStream error code', () => {
    expect(describeNatsError(api(10060, 400, 'expected stream does not match'))).toBe('JetStreamApiError: expected stream does not match (JetStream err_code 10060)');
  });
});
