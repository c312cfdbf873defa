/**
 * Reading the transform's config. Every `.k8streamrc` `transforms[].config` value reaches the
 * plugin as an Extism config string: strings as they are, numbers and booleans as their text,
 * objects and arrays JSON-encoded.
 *
 * The typed readers never trap: a malformed value is recorded (see {@link configErrors}) and
 * the reader returns its default, so a transform can read all of its config, then fail once
 * with every problem listed:
 *
 * ```ts
 * const n = configInt("max", 10);
 * const tags = configStringMap("tags");
 * if (hasConfigErrors()) return fail(configErrorMessage());
 * ```
 */
import { Config } from "@extism/as-pdk";
import { JsonKind, JsonNode, jsonError, parseJson } from "./json";
import { Regex } from "./regex";

const problems: string[] = [];

/** Records a config problem about `key` (messages name the key, never the value). */
export function configProblem(key: string, message: string): void {
  problems.push('config "' + key + '": ' + message);
}

/** Every problem recorded so far. */
export function configErrors(): string[] {
  return problems;
}

/** Whether any config problem was recorded. */
export function hasConfigErrors(): bool {
  return problems.length > 0;
}

/** All recorded problems in one message, ready for `fail()`. */
export function configErrorMessage(): string {
  if (problems.length == 1) return "invalid transform config: " + problems[0];
  return "invalid transform config (" + problems.length.toString() + " problems): " + problems.join("; ");
}

/** The raw config string `key`, or null when it is not set. */
export function config(key: string): string | null {
  return Config.get(key);
}

/** The raw config string `key`, or `fallback` when it is not set. */
export function configOr(key: string, fallback: string): string {
  const v = Config.get(key);
  return v === null ? fallback : v;
}

/** A boolean (`true`/`false`, also `1`/`0`, `yes`/`no`, `on`/`off`); `fallback` when not set. */
export function configBool(key: string, fallback: bool): bool {
  const v = Config.get(key);
  if (v === null) return fallback;
  const s = v.trim().toLowerCase();
  if (s == "true" || s == "1" || s == "yes" || s == "on") return true;
  if (s == "false" || s == "0" || s == "no" || s == "off") return false;
  configProblem(key, "expected true or false");
  return fallback;
}

/** An integer; `fallback` when not set. */
export function configInt(key: string, fallback: i64): i64 {
  const v = Config.get(key);
  if (v === null) return fallback;
  const s = v.trim();
  let i = 0;
  let neg = false;
  if (s.length > 0 && (s.charCodeAt(0) == 0x2d || s.charCodeAt(0) == 0x2b)) {
    neg = s.charCodeAt(0) == 0x2d;
    i = 1;
  }
  if (i >= s.length || s.length - i > 18) {
    configProblem(key, "expected an integer");
    return fallback;
  }
  let n: i64 = 0;
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) {
      configProblem(key, "expected an integer");
      return fallback;
    }
    n = n * 10 + <i64>(c - 0x30);
  }
  return neg ? -n : n;
}

/** The config value `key` parsed as JSON; null when not set or invalid (a problem is recorded). */
export function configJson(key: string): JsonNode | null {
  const v = Config.get(key);
  if (v === null) return null;
  const node = parseJson(v);
  if (node === null) configProblem(key, "invalid JSON: " + jsonError());
  return node;
}

/**
 * A list of strings: a JSON array of strings (`["a","b"]`), or a plain string holding a
 * comma-separated list (`a, b`; items are trimmed, empty items skipped). Empty when not set.
 */
export function configList(key: string): string[] {
  const v = Config.get(key);
  if (v === null) return [];
  const t = v.trim();
  if (t.startsWith("[")) {
    const node = parseJson(t);
    if (node === null) {
      configProblem(key, "invalid JSON array: " + jsonError());
      return [];
    }
    return stringItems(key, node);
  }
  const out: string[] = [];
  const parts = t.split(",");
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i].trim();
    if (p.length > 0) out.push(p);
  }
  return out;
}

/** The strings of a JSON array node (a lone string counts as a one-item list); records problems. */
export function stringItems(key: string, node: JsonNode): string[] {
  const out: string[] = [];
  if (node.kind == JsonKind.String) {
    out.push(node.str);
    return out;
  }
  if (node.kind != JsonKind.Array) {
    configProblem(key, "expected a list of strings, got " + node.typeName());
    return out;
  }
  for (let i = 0; i < node.items.length; i++) {
    const item = node.items[i];
    if (item.kind != JsonKind.String) {
      configProblem(key + "[" + i.toString() + "]", "expected a string, got " + item.typeName());
      continue;
    }
    out.push(item.str);
  }
  return out;
}

/** A JSON object of string values (`{"team":"payments"}`), in document order. Empty when not set. */
export function configStringMap(key: string): Map<string, string> {
  const node = configJson(key);
  if (node === null) return new Map<string, string>();
  return stringMap(key, node);
}

/** The string entries of a JSON object node; records problems for anything else. */
export function stringMap(key: string, node: JsonNode): Map<string, string> {
  const out = new Map<string, string>();
  if (node.kind != JsonKind.Object) {
    configProblem(key, "expected an object of strings, got " + node.typeName());
    return out;
  }
  for (let i = 0; i < node.keys.length; i++) {
    const v = node.values[i];
    if (v.kind != JsonKind.String) {
      configProblem(key + "." + node.keys[i], "expected a string, got " + v.typeName());
      continue;
    }
    out.set(node.keys[i], v.str);
  }
  return out;
}

/**
 * Compiles a regex found in config. Returns null (and records a problem naming `key`) when the
 * pattern is invalid.
 */
export function configRegexFrom(key: string, pattern: string, flags: string = ""): Regex | null {
  const re = Regex.compile(pattern, flags);
  if (!re.ok) {
    configProblem(key, re.error);
    return null;
  }
  return re;
}

/** The regex in config `key`, compiled; null when not set or invalid (a problem is recorded). */
export function configRegex(key: string, flags: string = ""): Regex | null {
  const v = Config.get(key);
  if (v === null) return null;
  return configRegexFrom(key, v, flags);
}
