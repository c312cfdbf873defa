/**
 * filter: keeps or drops events by rules. An event is kept when it matches at least one `keep`
 * rule (or no `keep` rules are set) and matches no `drop` rule.
 *
 * Config (both optional; each a rule object or a JSON list of rule objects):
 *   keep   rules an event must match (any of them) to be kept
 *   drop   rules that drop an event (any of them)
 *
 * A rule matches when all of its criteria match:
 *   namespaces  list of names or globs (`kube-*`) for the event's namespace
 *   reasons     list of names or globs for the reason (BackOff, Pulled, …)
 *   types       list of names or globs for the type (Normal, Warning)
 *   kinds       list of names or globs for the involved object's kind (Pod, Node, …)
 *   names       list of names or globs for the involved object's name
 *   components  list of names or globs for the reporting component (source.component)
 *   message     a regex searched in the message (`(?i)` for case-insensitive)
 *   labels      object of label key → value glob; every key must be present and match
 *               (`"*"` = present with any value)
 */
import {
  EventRecord,
  JsonKind,
  JsonNode,
  Regex,
  config,
  configErrorMessage,
  configJson,
  configProblem,
  configRegexFrom,
  drop,
  fail,
  globMatch,
  globMatchAny,
  hasConfigErrors,
  keep,
  readRecord,
  stringItems,
} from "@k8stream/transform-kit/assembly";

/** One keep or drop rule; unset criteria match everything. */
class Rule {
  namespaces: string[] | null = null;
  reasons: string[] | null = null;
  types: string[] | null = null;
  kinds: string[] | null = null;
  names: string[] | null = null;
  components: string[] | null = null;
  message: Regex | null = null;
  labelKeys: string[] = [];
  labelValues: string[] = [];

  matches(rec: EventRecord): bool {
    const ns = this.namespaces;
    if (ns !== null && !globMatchAny(ns, rec.namespace)) return false;
    const reasons = this.reasons;
    if (reasons !== null && !globMatchAny(reasons, rec.reason)) return false;
    const types = this.types;
    if (types !== null && !globMatchAny(types, rec.type)) return false;
    const kinds = this.kinds;
    if (kinds !== null && !globMatchAny(kinds, rec.involvedObject.kind)) return false;
    const names = this.names;
    if (names !== null && !globMatchAny(names, rec.involvedObject.name)) return false;
    const components = this.components;
    if (components !== null && !globMatchAny(components, rec.source.component)) return false;
    const labels = rec.enrichment.labels;
    for (let i = 0; i < this.labelKeys.length; i++) {
      const key = unchecked(this.labelKeys[i]);
      if (!labels.has(key)) return false;
      if (!globMatch(unchecked(this.labelValues[i]), labels.get(key))) return false;
    }
    const re = this.message;
    if (re !== null && !re.test(rec.message)) return false;
    return true;
  }
}

const CRITERIA: string[] = ["namespaces", "reasons", "types", "kinds", "names", "components", "message", "labels"];

function parseRule(key: string, node: JsonNode): Rule | null {
  if (node.kind != JsonKind.Object) {
    configProblem(key, "expected a rule object, got " + node.typeName());
    return null;
  }
  const rule = new Rule();
  for (let i = 0; i < node.keys.length; i++) {
    const name = node.keys[i];
    const value = node.values[i];
    const path = key + "." + name;
    if (name == "namespaces") rule.namespaces = stringItems(path, value);
    else if (name == "reasons") rule.reasons = stringItems(path, value);
    else if (name == "types") rule.types = stringItems(path, value);
    else if (name == "kinds") rule.kinds = stringItems(path, value);
    else if (name == "names") rule.names = stringItems(path, value);
    else if (name == "components") rule.components = stringItems(path, value);
    else if (name == "message") {
      if (value.kind != JsonKind.String) configProblem(path, "expected a regex string, got " + value.typeName());
      else rule.message = configRegexFrom(path, value.str);
    } else if (name == "labels") {
      if (value.kind != JsonKind.Object) {
        configProblem(path, "expected an object of label globs, got " + value.typeName());
        continue;
      }
      for (let k = 0; k < value.keys.length; k++) {
        const v = value.values[k];
        if (v.kind != JsonKind.String) {
          configProblem(path + "." + value.keys[k], "expected a string, got " + v.typeName());
          continue;
        }
        rule.labelKeys.push(value.keys[k]);
        rule.labelValues.push(v.str);
      }
    } else {
      configProblem(path, "unknown criterion (known: " + CRITERIA.join(", ") + ")");
    }
  }
  return rule;
}

/** Reads `key` as one rule or a list of rules. */
function parseRules(key: string): Rule[] {
  const out: Rule[] = [];
  const node = configJson(key);
  if (node === null) return out;
  if (node.kind == JsonKind.Array) {
    for (let i = 0; i < node.items.length; i++) {
      const r = parseRule(key + "[" + i.toString() + "]", node.items[i]);
      if (r !== null) out.push(r);
    }
  } else {
    const r = parseRule(key, node);
    if (r !== null) out.push(r);
  }
  return out;
}

let ready = false;
let keepRules: Rule[] = [];
let dropRules: Rule[] = [];

function setup(): void {
  ready = true;
  keepRules = parseRules("keep");
  dropRules = parseRules("drop");
  if (config("keep") === null && config("drop") === null) {
    configProblem("keep", 'set "keep" and/or "drop" rules (with neither, the filter would pass everything)');
  }
}

function anyMatch(rules: Rule[], rec: EventRecord): bool {
  for (let i = 0; i < rules.length; i++) {
    if (unchecked(rules[i]).matches(rec)) return true;
  }
  return false;
}

export function transform(): i32 {
  if (!ready) setup();
  if (hasConfigErrors()) return fail(configErrorMessage());
  const rec = readRecord();
  if (keepRules.length > 0 && !anyMatch(keepRules, rec)) return drop();
  if (anyMatch(dropRules, rec)) return drop();
  return keep();
}
