// Test harness for the kit: exports that let vitest drive the kit's AssemblyScript code through
// the Extism JS SDK (see src/*.test.ts). Not part of the published package.
import {
  readInput,
  readRecord,
  replace,
  fanOut,
  keep,
  drop,
  fail,
  output,
  Regex,
  RegexMatch,
  globMatch,
  parseJson,
  jsonError,
  jsonQuote,
  JsonNode,
  JsonKind,
  config,
  configOr,
  configBool,
  configInt,
  configList,
  configStringMap,
  configRegex,
  configErrors,
  escapeRegex,
  EventRecord,
  replaceAllText,
} from "@k8stream/transform-kit/assembly";

function intOr(node: JsonNode | null, fallback: i32): i32 {
  return node === null || node.kind != JsonKind.Number ? fallback : <i32>node.num;
}

function strOr(node: JsonNode | null, fallback: string): string {
  return node === null || node.kind != JsonKind.String ? fallback : node.str;
}

function slotsJson(m: RegexMatch): string {
  const parts: string[] = [];
  for (let i = 0; i < m.slots.length; i++) parts.push(m.slots[i].toString());
  return "[" + parts.join(",") + "]";
}

/** Input: a JSON array of cases {p, f, t, op, r, from}; output: a JSON array of results. */
export function regex(): i32 {
  const cases = parseJson(readInput());
  if (cases === null) return fail("bad harness input: " + jsonError());
  const results: string[] = [];
  for (let i = 0; i < cases.items.length; i++) {
    const c = cases.items[i];
    const re = Regex.compile(strOr(c.get("p"), ""), strOr(c.get("f"), ""));
    if (!re.ok) {
      results.push('{"error":' + jsonQuote(re.error) + "}");
      continue;
    }
    const op = strOr(c.get("op"), "exec");
    const text = strOr(c.get("t"), "");
    if (op == "exec") {
      const m = re.exec(text, intOr(c.get("from"), 0));
      results.push(m === null ? '{"m":null}' : '{"m":' + slotsJson(m) + "}");
    } else if (op == "all") {
      const all = re.matchAll(text);
      const parts: string[] = [];
      for (let k = 0; k < all.length; k++) parts.push(slotsJson(all[k]));
      results.push('{"all":[' + parts.join(",") + "]}");
    } else if (op == "replace") {
      results.push('{"out":' + jsonQuote(re.replace(text, strOr(c.get("r"), ""))) + "}");
    } else if (op == "test") {
      results.push('{"test":' + (re.test(text) ? "true" : "false") + "}");
    } else if (op == "named") {
      const m = re.exec(text);
      const name = strOr(c.get("r"), "");
      let v: string | null = null;
      if (m !== null) v = m.named(name);
      results.push('{"named":' + (v === null ? "null" : jsonQuote(v)) + "}");
    } else {
      results.push('{"error":"unknown op"}');
    }
  }
  return output("[" + results.join(",") + "]");
}

/** Input: [{p, t}]; output: [bool]. */
export function glob(): i32 {
  const cases = parseJson(readInput());
  if (cases === null) return fail("bad harness input");
  const out: string[] = [];
  for (let i = 0; i < cases.items.length; i++) {
    const c = cases.items[i];
    out.push(globMatch(strOr(c.get("p"), ""), strOr(c.get("t"), "")) ? "true" : "false");
  }
  return output("[" + out.join(",") + "]");
}

/** Input: [{t, s, r}]; output: [replaced]. */
export function replace_all(): i32 {
  const cases = parseJson(readInput());
  if (cases === null) return fail("bad harness input");
  const out: string[] = [];
  for (let i = 0; i < cases.items.length; i++) {
    const c = cases.items[i];
    out.push(jsonQuote(replaceAllText(strOr(c.get("t"), ""), strOr(c.get("s"), ""), strOr(c.get("r"), ""))));
  }
  return output("[" + out.join(",") + "]");
}

/** Input: [string]; output: [escaped]. */
export function escape(): i32 {
  const cases = parseJson(readInput());
  if (cases === null) return fail("bad harness input");
  const out: string[] = [];
  for (let i = 0; i < cases.items.length; i++) out.push(jsonQuote(escapeRegex(cases.items[i].str)));
  return output("[" + out.join(",") + "]");
}

function dump(n: JsonNode): string {
  switch (n.kind) {
    case JsonKind.Null: return "null";
    case JsonKind.Bool: return n.bool ? "true" : "false";
    case JsonKind.Number: return n.num.toString();
    case JsonKind.String: return jsonQuote(n.str);
    case JsonKind.Array: {
      const parts: string[] = [];
      for (let i = 0; i < n.items.length; i++) parts.push(dump(n.items[i]));
      return "[" + parts.join(",") + "]";
    }
    default: {
      const parts: string[] = [];
      for (let i = 0; i < n.keys.length; i++) parts.push(jsonQuote(n.keys[i]) + ":" + dump(n.values[i]));
      return "{" + parts.join(",") + "}";
    }
  }
}

/** Input: any text; output: {"ok": <value re-encoded>} or {"error": "..."}. */
export function json(): i32 {
  const n = parseJson(readInput());
  if (n === null) return output('{"error":' + jsonQuote(jsonError()) + "}");
  return output('{"ok":' + dump(n) + "}");
}

/** Decodes the record and encodes it again. */
export function roundtrip(): i32 {
  return replace(readRecord());
}

/** Emits the record and a copy with `#2` appended to its id and a changed message. */
export function fanout(): i32 {
  const rec = readRecord();
  const copy = rec.clone();
  copy.id = rec.id + "#2";
  copy.message = "copy: " + rec.message;
  copy.enrichment.labels.set("copy", "yes");
  return fanOut([rec, copy]);
}

/** Fans out to nothing (a drop). */
export function fanout_none(): i32 {
  readRecord();
  return fanOut([]);
}

/** Passes the input through byte for byte. */
export function passthrough(): i32 {
  readRecord();
  return keep();
}

/** Passes through without reading first (keep reads the input itself). */
export function keep_unread(): i32 {
  return keep();
}

export function drop_all(): i32 {
  readRecord();
  return drop();
}

export function fail_always(): i32 {
  return fail("custom failure: ünïcode ✓ 🚀");
}

/** Throws: the kit's abort sets the error and traps. */
export function throws(): i32 {
  readRecord();
  throw new Error("boom");
}

/** Reads the record's accessors and returns them as JSON. */
export function accessors(): i32 {
  const rec = readRecord();
  const t = rec.time();
  const app = rec.label("app");
  const missing = rec.label("nope");
  const ann = rec.annotation("kubectl.kubernetes.io/restartedAt");
  return output(
    '{"time":' + (t === null ? "null" : jsonQuote(t)) +
    ',"app":' + (app === null ? "null" : jsonQuote(app)) +
    ',"missing":' + (missing === null ? "null" : jsonQuote(missing)) +
    ',"annotation":' + (ann === null ? "null" : jsonQuote(ann)) + "}",
  );
}

/** Builds a record from scratch (defaults) and emits it. */
export function fresh(): i32 {
  const rec = new EventRecord();
  rec.id = "u:1";
  rec.message = "made in wasm";
  return replace(rec);
}

function listJson(items: string[]): string {
  const parts: string[] = [];
  for (let i = 0; i < items.length; i++) parts.push(jsonQuote(items[i]));
  return "[" + parts.join(",") + "]";
}

/** Reads config keys with every reader and reports values and problems. */
export function config_dump(): i32 {
  const s = config("s");
  const d = configOr("d", "fallback");
  const b = configBool("b", false);
  const n = configInt("n", -1);
  const l = configList("l");
  const m = configStringMap("m");
  const re = configRegex("re", "i");
  const mk = m.keys();
  const mparts: string[] = [];
  for (let i = 0; i < mk.length; i++) mparts.push(jsonQuote(mk[i]) + ":" + jsonQuote(m.get(mk[i])));
  return output(
    '{"s":' + (s === null ? "null" : jsonQuote(s)) +
    ',"d":' + jsonQuote(d) +
    ',"b":' + (b ? "true" : "false") +
    ',"n":' + n.toString() +
    ',"l":' + listJson(l) +
    ',"m":{' + mparts.join(",") + "}" +
    ',"re":' + (re === null ? "null" : (re.test("HELLO world") ? "true" : "false")) +
    ',"errors":' + listJson(configErrors()) + "}",
  );
}
