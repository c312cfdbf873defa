/**
 * Scrubs secrets out of log fields before they are written (both log formats).
 *
 * Two kinds of rules:
 * - by key: the whole value of a field whose name looks secret (`authorization`, `password`,
 *   `secretAccessKey`, `sessionToken`, `client-key-data`, ...) becomes `[REDACTED]`;
 * - by value: inside any string (messages included), bearer/basic credentials, the password of
 *   a URL's userinfo, signing query parameters (`X-Amz-Signature`, `X-Amz-Credential`, ...),
 *   `key: value` / `key=value` pairs with a secret key, and PEM blocks are masked.
 *
 * Access key ids (`accessKeyId`, `AKIA...`) are kept: they identify credentials without
 * granting anything, and naming them is what makes "which credentials failed?" answerable.
 *
 * Errors become `{ message, code }` (plus `stack` when asked for), every part scrubbed.
 */

export const REDACTED = '[REDACTED]';

/** Field names (lower-cased, without `-` and `_`) whose whole value is secret. */
const SECRET_KEYS = new Set([
  'authorization',
  'proxyauthorization',
  'cookie',
  'setcookie',
  'credentials',
  'credential',
  'clientkeydata',
  'clientcertificatedata',
  'kubeconfig',
  'xamzsecuritytoken',
  'xamzsignature',
  'xamzcredential',
  'privatekey',
  'passphrase',
]);

/** Endings of normalised field names that make the value secret (`sessionToken`, `dbPassword`). */
const SECRET_SUFFIXES = ['token', 'password', 'passwd', 'secret', 'secretkey', 'secretaccesskey', 'apikey', 'privatekey'];

/** Field names repeat endlessly: remember the verdicts (bounded, in case names are generated). */
const verdicts = new Map<string, boolean>();

/** True when a field named `key` holds a secret as a whole. */
export function isSecretKey(key: string): boolean {
  let verdict = verdicts.get(key);
  if (verdict === undefined) {
    verdict = classifyKey(key);
    if (verdicts.size >= 10_000) verdicts.clear();
    verdicts.set(key, verdict);
  }
  return verdict;
}

function classifyKey(key: string): boolean {
  const k = key.toLowerCase().replace(/[-_]/g, '');
  if (SECRET_KEYS.has(k)) return true;
  for (const suffix of SECRET_SUFFIXES) if (k.endsWith(suffix)) return true;
  return false;
}

/** A key in `key: value`, `key=value` or `"key":"value"` text whose value is secret. */
const SECRET_KEY_PATTERN =
  '(?:[a-z0-9_-]*(?:token|password|passwd|secret|secret[-_]?key|secret[-_]?access[-_]?key|api[-_]?key)|authorization|client-key-data|client-certificate-data|credentials)';

const SECRET_KEY_WORD = /token|passw|secret|api[-_]?key|authorization|key-data|certificate-data|credentials/i;

interface ValueRule {
  /** Cheap pre-check: a string that fails it cannot match `pattern`. */
  guard: (text: string) => boolean;
  pattern: RegExp;
  replace: string | ((substring: string, ...args: string[]) => string);
}

const VALUE_RULES: ValueRule[] = [
  // PEM blocks (keys, certificates), also when cut off before the END line.
  {
    guard: (t) => t.includes('-----BEGIN '),
    pattern: /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?(?:-----END \1-----|$)/g,
    replace: (_m, label) => `-----BEGIN ${label}-----${REDACTED}-----END ${label}-----`,
  },
  // Authorization schemes with a credential after them.
  { guard: (t) => /bearer|basic/i.test(t), pattern: /\b(Bearer|Basic)(\s+)(?!\[REDACTED\])[A-Za-z0-9\-._~+/]+=*/gi, replace: `$1$2${REDACTED}` },
  // AWS SigV4 Authorization header text: `Credential=AKIA.../scope, ..., Signature=hex`.
  { guard: (t) => t.includes('Signature=') || t.includes('Credential='), pattern: /\b(Signature|Credential)=(?!\[REDACTED\])[^,\s&"'}]+/g, replace: `$1=${REDACTED}` },
  // The password of a URL's userinfo: scheme://user:pass@host.
  { guard: (t) => t.includes('://') && t.includes('@'), pattern: /([a-z][a-z0-9+.-]*:\/\/[^/\s:@]*):(?!\[REDACTED\]@)[^/\s@]*@/gi, replace: `$1:${REDACTED}@` },
  // Signing and secret query parameters (S3/GCS presigned URLs, SAS tokens, OAuth).
  {
    guard: (t) => t.includes('=') && (t.includes('?') || t.includes('&')),
    pattern:
      /([?&](?:X-Amz-Signature|X-Amz-Credential|X-Amz-Security-Token|X-Goog-Signature|X-Goog-Credential|access_token|id_token|refresh_token|token|sig|signature|password|secret|api_key|apikey)=)(?!\[REDACTED\])[^&\s#"']+/gi,
    replace: `$1${REDACTED}`,
  },
  // `token: abc`, `password=abc`, `"secretAccessKey":"abc"`, YAML kubeconfig lines.
  {
    guard: (t) => SECRET_KEY_WORD.test(t),
    pattern: new RegExp(`(["']?\\b${SECRET_KEY_PATTERN}["']?\\s*[:=]\\s*["']?)(?!\\[REDACTED\\])(?!Bearer\\b|Basic\\b)[^"'\\s,;&}]+`, 'gi'),
    replace: `$1${REDACTED}`,
  },
];

/** Masks every secret-looking part of a string. */
export function redactString(text: string): string {
  let out = text;
  for (const rule of VALUE_RULES) if (rule.guard(out)) out = out.replace(rule.pattern, rule.replace as string);
  return out;
}

export interface RedactOptions {
  /** Keep (scrubbed) stack traces of errors; off unless logging at debug level. */
  stacks?: boolean;
}

const MAX_DEPTH = 8;

/** A scrubbed copy of `value` that is safe to serialise (no cycles, no bigints, no secrets). */
export function redactValue(value: unknown, options: RedactOptions = {}): unknown {
  return scrub(value, options, 0, undefined);
}

/** Scrubs every value of a fields object; the keys are kept. */
export function redactFields(fields: Record<string, unknown>, options: RedactOptions = {}): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(fields)) {
    out[key] = isSecretKey(key) ? redactedOf(fields[key]) : scrub(fields[key], options, 0, undefined);
  }
  return out;
}

/** What a secret-keyed value becomes: absent values stay visible as absent. */
function redactedOf(value: unknown): unknown {
  return value === undefined || value === null || value === '' ? value : REDACTED;
}

function scrub(value: unknown, options: RedactOptions, depth: number, seen: WeakSet<object> | undefined): unknown {
  switch (typeof value) {
    case 'string':
      return redactString(value);
    case 'number':
    case 'boolean':
    case 'undefined':
      return value;
    case 'bigint':
      return value.toString();
    case 'symbol':
    case 'function':
      return String(value);
    case 'object':
      break; // null, errors, arrays and records: below
  }
  if (value === null) return null;
  const obj = value;
  if (obj instanceof Error) return scrubError(obj, options);
  if (obj instanceof Date) return Number.isNaN(obj.getTime()) ? 'Invalid Date' : obj.toISOString();
  if (ArrayBuffer.isView(obj) || obj instanceof ArrayBuffer) return `[${obj.byteLength} bytes]`;
  if (depth >= MAX_DEPTH) return '[Truncated]';
  seen ??= new WeakSet();
  if (seen.has(obj)) return '[Circular]';
  seen.add(obj);
  let out: unknown;
  if (Array.isArray(obj)) {
    out = obj.map((v) => scrub(v, options, depth + 1, seen));
  } else if (obj instanceof Map) {
    out = scrubEntries(
      [...obj.entries()].map(([k, v]) => [String(k), v]),
      options,
      depth,
      seen,
    );
  } else if (obj instanceof Set) {
    out = [...obj].map((v) => scrub(v, options, depth + 1, seen));
  } else {
    out = scrubEntries(Object.entries(obj), options, depth, seen);
  }
  seen.delete(obj);
  return out;
}

function scrubEntries(entries: [string, unknown][], options: RedactOptions, depth: number, seen: WeakSet<object>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of entries) out[k] = isSecretKey(k) ? redactedOf(v) : scrub(v, options, depth + 1, seen);
  return out;
}

/** Errors: message and code only (their other properties may hold requests, headers, bodies). */
function scrubError(err: Error, options: RedactOptions): Record<string, unknown> {
  const out: Record<string, unknown> = { message: redactString(err.message) };
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' || typeof code === 'number') out.code = code;
  else if (err.name !== 'Error') out.code = err.name;
  if (options.stacks && typeof err.stack === 'string') out.stack = redactString(err.stack);
  return out;
}
