/**
 * Scrubbing secrets out of text a sink reports (error messages, response excerpts, describe()).
 *
 * `redact(text, secrets)` replaces every occurrence of each given secret (credentials the sink
 * holds: tokens, passwords, encoded basic-auth values, secret keys) with {@link REDACTED}, then
 * applies the core's pattern rules (`Bearer …`, URL userinfo passwords, signing query
 * parameters, `token: …` pairs, PEM blocks; see util/redact.ts). Invariants:
 * - one marker everywhere: `[REDACTED]`, the same the logger uses;
 * - no given secret survives, whatever its length (empty strings are ignored) and even when
 *   one secret contains another (longer secrets are replaced first);
 * - idempotent: redacting twice gives the same text.
 */
import { REDACTED, redactString } from '../util/redact.js';

export { REDACTED };

/** `text` with every listed secret and every secret-looking pattern replaced by `[REDACTED]`. */
export function redact(text: string, secrets: readonly string[] = []): string {
  let out = text;
  if (secrets.length > 0) {
    const ordered = secrets.filter((s) => s.length > 0).sort((a, b) => b.length - a.length);
    for (const secret of ordered) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  }
  return redactString(out);
}
