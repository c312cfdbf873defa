/**
 * redact: masks secrets in event messages and annotation values (and, on request, label values
 * and enrichment error messages). Every hit becomes `[REDACTED:<kind>]`.
 *
 * Config (all optional):
 *   kinds        built-in detectors to run (default: all): bearer, jwt, secret,
 *                aws-access-key, email, ipv4. `[]` turns them all off.
 *   patterns     extra regexes: one pattern, a JSON list of patterns (kind "custom"), or a JSON
 *                object {"<kind>": "<pattern>"}. A pattern with a capturing group masks only
 *                group 1 (`token=(\S+)` keeps `token=`); use `(?:…)` for plain grouping.
 *   fields       where to look: message, annotations, labels, errors (default: message,
 *                annotations).
 *   replacement  the mask; `{kind}` is replaced by the detector's kind
 *                (default `[REDACTED:{kind}]`).
 */
import {
  EventRecord,
  JsonKind,
  Regex,
  RegexMatch,
  config,
  configList,
  configOr,
  configProblem,
  configRegexFrom,
  configErrorMessage,
  fail,
  hasConfigErrors,
  keep,
  parseJson,
  readRecord,
  replace,
  replaceAllText,
} from "@k8stream/transform-kit/assembly";

/** A named detector. */
class Detector {
  kind: string;
  re: Regex;
  mask: string;
  /** Which literal pre-check applies (see `mayMatch`); custom patterns have none. */
  check: i32;

  constructor(kind: string, re: Regex, mask: string, check: i32 = CHECK_NONE) {
    this.kind = kind;
    this.re = re;
    this.mask = mask;
    this.check = check;
  }
}

const CHECK_NONE = 0;
const CHECK_JWT = 1;
const CHECK_BEARER = 2;
const CHECK_SECRET = 3;
const CHECK_AWS = 4;
const CHECK_EMAIL = 5;
const CHECK_IPV4 = 6;

function checkFor(kind: string): i32 {
  if (kind == "jwt") return CHECK_JWT;
  if (kind == "bearer") return CHECK_BEARER;
  if (kind == "secret") return CHECK_SECRET;
  if (kind == "aws-access-key") return CHECK_AWS;
  if (kind == "email") return CHECK_EMAIL;
  if (kind == "ipv4") return CHECK_IPV4;
  return CHECK_NONE;
}

/** A digit, a dot, a digit: the least an IPv4 address contains. */
function hasDigitDotDigit(text: string): bool {
  const n = text.length;
  for (let i = 1; i + 1 < n; i++) {
    if (text.charCodeAt(i) != 46) continue;
    const a = text.charCodeAt(i - 1);
    const b = text.charCodeAt(i + 1);
    if (a >= 48 && a <= 57 && b >= 48 && b <= 57) return true;
  }
  return false;
}

/**
 * A cheap literal test every match of the detector's pattern must pass: most text has no
 * secret at all, and a substring search costs far less than running the regex at every
 * position. `lower` is `text` in lower case (for the case-insensitive patterns).
 */
function mayMatch(check: i32, text: string, lower: string): bool {
  if (check == CHECK_JWT) return text.includes("eyJ");
  if (check == CHECK_BEARER) return lower.includes("bearer");
  if (check == CHECK_SECRET) {
    return lower.includes("pass") || lower.includes("pwd") || lower.includes("secret") || lower.includes("token") || lower.includes("key");
  }
  if (check == CHECK_AWS) return text.includes("AKIA") || text.includes("ASIA");
  if (check == CHECK_EMAIL) return text.includes("@");
  if (check == CHECK_IPV4) return hasDigitDotDigit(text);
  return true;
}

/** The built-in detectors, most specific first (a JWT inside a bearer header is a jwt). */
const BUILTIN_KINDS: string[] = ["jwt", "bearer", "secret", "aws-access-key", "email", "ipv4"];

function builtinPattern(kind: string): string {
  if (kind == "jwt") return "\\beyJ[A-Za-z0-9_-]{4,}\\.[A-Za-z0-9_-]{4,}\\.[A-Za-z0-9_-]*";
  if (kind == "bearer") return "(?i)\\bbearer\\s+([A-Za-z0-9\\-._~+/]{8,}=*)";
  if (kind == "secret") {
    return (
      "(?i)(?:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key)" +
      "[\"']?\\s*[=:]\\s*[\"']?([^\\s\"'&,;]+)"
    );
  }
  if (kind == "aws-access-key") return "\\b(?:AKIA|ASIA)[0-9A-Z]{16}\\b";
  if (kind == "email") return "[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\\.[A-Za-z0-9-]+)*\\.[A-Za-z]{2,}";
  // ipv4
  const octet = "(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)";
  return "\\b(?:" + octet + "\\.){3}" + octet + "\\b";
}

const FIELDS: string[] = ["message", "annotations", "labels", "errors"];

let ready = false;
let detectors: Detector[] = [];
let doMessage = true;
let doAnnotations = true;
let doLabels = false;
let doErrors = false;

function setup(): void {
  ready = true;
  const template = configOr("replacement", "[REDACTED:{kind}]");

  // built-ins
  let kinds = BUILTIN_KINDS;
  if (config("kinds") !== null) {
    kinds = configList("kinds");
    for (let i = 0; i < kinds.length; i++) {
      if (!BUILTIN_KINDS.includes(kinds[i])) {
        configProblem("kinds", 'unknown kind "' + kinds[i] + '" (known: ' + BUILTIN_KINDS.join(", ") + ")");
      }
    }
  }
  for (let i = 0; i < BUILTIN_KINDS.length; i++) {
    const kind = BUILTIN_KINDS[i];
    if (!kinds.includes(kind)) continue;
    detectors.push(new Detector(kind, Regex.compile(builtinPattern(kind)), replaceAllText(template, "{kind}", kind), checkFor(kind)));
  }

  // custom patterns
  const raw = config("patterns");
  if (raw !== null) {
    // A JSON list or object of patterns; anything else (including a regex that merely starts
    // with `[`, like `[0-9]{16}`) is one pattern.
    const t = raw.trim();
    const node = t.startsWith("[") || t.startsWith("{") ? parseJson(t) : null;
    if (node === null) {
      addCustom("patterns", "custom", raw, template);
    } else if (node.kind == JsonKind.Array) {
      for (let i = 0; i < node.items.length; i++) {
        const item = node.items[i];
        const key = "patterns[" + i.toString() + "]";
        if (item.kind != JsonKind.String) configProblem(key, "expected a regex string, got " + item.typeName());
        else addCustom(key, "custom", item.str, template);
      }
    } else if (node.kind == JsonKind.Object) {
      for (let i = 0; i < node.keys.length; i++) {
        const item = node.values[i];
        const key = "patterns." + node.keys[i];
        if (item.kind != JsonKind.String) configProblem(key, "expected a regex string, got " + item.typeName());
        else addCustom(key, node.keys[i], item.str, template);
      }
    } else {
      configProblem("patterns", "expected a regex, a list of regexes or an object of regexes");
    }
  }

  // fields
  if (config("fields") !== null) {
    const fields = configList("fields");
    doMessage = fields.includes("message");
    doAnnotations = fields.includes("annotations");
    doLabels = fields.includes("labels");
    doErrors = fields.includes("errors");
    for (let i = 0; i < fields.length; i++) {
      if (!FIELDS.includes(fields[i])) {
        configProblem("fields", 'unknown field "' + fields[i] + '" (known: ' + FIELDS.join(", ") + ")");
      }
    }
  }
}

function addCustom(key: string, kind: string, pattern: string, template: string): void {
  const re = configRegexFrom(key, pattern);
  if (re !== null) detectors.push(new Detector(kind, re, replaceAllText(template, "{kind}", kind)));
}

// The detector whose matches `maskMatch` is rewriting (function references cannot capture).
let current: Detector | null = null;

function maskMatch(m: RegexMatch): string {
  const d = current!;
  if (m.groupCount >= 1 && m.groupStart(1) >= 0) {
    // mask only group 1, keep the rest of the match (e.g. the `token=` prefix)
    const s = m.input;
    return s.substring(m.start, m.groupStart(1)) + d.mask + s.substring(m.groupEnd(1), m.end);
  }
  return d.mask;
}

/** `text` with every detector applied in order. */
function redact(text: string): string {
  let out = text;
  let lower: string | null = null;
  for (let i = 0; i < detectors.length; i++) {
    const d = detectors[i];
    if (d.check != CHECK_NONE) {
      if (lower === null) lower = out.toLowerCase();
      if (!mayMatch(d.check, out, lower!)) continue;
    }
    current = d;
    const next = d.re.replaceWith(out, maskMatch);
    if (next != out) {
      out = next;
      lower = null;
    }
  }
  current = null;
  return out;
}

/** Redacts every value of `map` in place; returns whether anything changed. */
function redactValues(map: Map<string, string>): bool {
  let changed = false;
  const keys = map.keys();
  for (let i = 0; i < keys.length; i++) {
    const v = map.get(keys[i]);
    const r = redact(v);
    if (r != v) {
      map.set(keys[i], r);
      changed = true;
    }
  }
  return changed;
}

export function transform(): i32 {
  if (!ready) setup();
  if (hasConfigErrors()) return fail(configErrorMessage());
  const rec: EventRecord = readRecord();
  let changed = false;
  if (doMessage) {
    const m = redact(rec.message);
    if (m != rec.message) {
      rec.message = m;
      changed = true;
    }
  }
  if (doAnnotations && redactValues(rec.enrichment.annotations)) changed = true;
  if (doLabels && redactValues(rec.enrichment.labels)) changed = true;
  if (doErrors) {
    const errors = rec.enrichment.errors;
    for (let i = 0; i < errors.length; i++) {
      const m = redact(errors[i].message);
      if (m != errors[i].message) {
        errors[i].message = m;
        changed = true;
      }
    }
  }
  // Nothing found: pass the input through untouched (cheaper, and keeps unknown fields).
  return changed ? replace(rec) : keep();
}
