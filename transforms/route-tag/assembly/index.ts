/**
 * route-tag: adds ownership labels (team, owner, on-call, …) to events, looked up from the
 * event's namespace or from labels of the involved object. The tags land in
 * `enrichment.labels`, where sinks' `match` rules and downstream queries can use them.
 *
 * Config (at least one of namespaces/labels):
 *   namespaces  {"<namespace or glob>": {"<tag>": "<value>", …}, …}
 *               exact names win over globs; among globs the first match in order wins
 *   labels      {"<label key>": {"<value or glob>": {"<tag>": "<value>", …}, …}, …}
 *               every label key the object carries is looked up, in config order; tags from
 *               label matches override tags from the namespace match
 *   default     {"<tag>": "<value>", …} for events nothing matched
 *   prefix      prepended to every tag key, e.g. "k8stream.io/" (default: none)
 *   overwrite   whether a tag replaces a label the object already has (default: false)
 */
import {
  EventRecord,
  JsonKind,
  JsonNode,
  config,
  configBool,
  configErrorMessage,
  configJson,
  configOr,
  configProblem,
  fail,
  globMatch,
  hasConfigErrors,
  isGlob,
  keep,
  readRecord,
  replace,
  stringMap,
} from "@k8stream/transform-kit/assembly";

/** A name pattern (exact or glob) and the tags it brings. */
class Entry {
  pattern: string;
  tags: Map<string, string>;

  constructor(pattern: string, tags: Map<string, string>) {
    this.pattern = pattern;
    this.tags = tags;
  }
}

/** Exact entries first (looked up by name), then globs in config order. */
class Table {
  exact: Map<string, Map<string, string>> = new Map();
  globs: Entry[] = [];

  lookup(name: string): Map<string, string> | null {
    if (this.exact.has(name)) return this.exact.get(name);
    for (let i = 0; i < this.globs.length; i++) {
      const e = unchecked(this.globs[i]);
      if (globMatch(e.pattern, name)) return e.tags;
    }
    return null;
  }
}

function parseTable(key: string, node: JsonNode): Table {
  const t = new Table();
  if (node.kind != JsonKind.Object) {
    configProblem(key, "expected an object of name → tags, got " + node.typeName());
    return t;
  }
  for (let i = 0; i < node.keys.length; i++) {
    const name = node.keys[i];
    const tags = stringMap(key + "." + name, node.values[i]);
    if (isGlob(name)) t.globs.push(new Entry(name, tags));
    else t.exact.set(name, tags);
  }
  return t;
}

let ready = false;
let byNamespace: Table | null = null;
let labelKeys: string[] = [];
let labelTables: Table[] = [];
let defaults = new Map<string, string>();
let prefix = "";
let overwrite = false;

function setup(): void {
  ready = true;
  const ns = configJson("namespaces");
  if (ns !== null) byNamespace = parseTable("namespaces", ns);
  const labels = configJson("labels");
  if (labels !== null) {
    if (labels.kind != JsonKind.Object) {
      configProblem("labels", "expected an object of label key → value → tags, got " + labels.typeName());
    } else {
      for (let i = 0; i < labels.keys.length; i++) {
        labelKeys.push(labels.keys[i]);
        labelTables.push(parseTable("labels." + labels.keys[i], labels.values[i]));
      }
    }
  }
  const def = configJson("default");
  if (def !== null) defaults = stringMap("default", def);
  prefix = configOr("prefix", "");
  overwrite = configBool("overwrite", false);
  if (config("namespaces") === null && config("labels") === null) {
    configProblem("namespaces", 'set a "namespaces" and/or "labels" mapping');
  }
}

/** Copies `tags` into `into` (later calls override earlier ones). */
function merge(into: Map<string, string>, tags: Map<string, string>): void {
  const keys = tags.keys();
  for (let i = 0; i < keys.length; i++) into.set(keys[i], tags.get(keys[i]));
}

export function transform(): i32 {
  if (!ready) setup();
  if (hasConfigErrors()) return fail(configErrorMessage());
  const rec: EventRecord = readRecord();
  const labels = rec.enrichment.labels;

  const tags = new Map<string, string>();
  let matched = false;
  const table = byNamespace;
  if (table !== null) {
    const t = table.lookup(rec.namespace);
    if (t !== null) {
      merge(tags, t);
      matched = true;
    }
  }
  for (let i = 0; i < labelKeys.length; i++) {
    const key = unchecked(labelKeys[i]);
    if (!labels.has(key)) continue;
    const t = unchecked(labelTables[i]).lookup(labels.get(key));
    if (t !== null) {
      merge(tags, t);
      matched = true;
    }
  }
  if (!matched) merge(tags, defaults);

  let changed = false;
  const keys = tags.keys();
  for (let i = 0; i < keys.length; i++) {
    const key = prefix + keys[i];
    const value = tags.get(keys[i]);
    if (labels.has(key)) {
      if (!overwrite || labels.get(key) == value) continue;
    }
    labels.set(key, value);
    changed = true;
  }
  return changed ? replace(rec) : keep();
}
