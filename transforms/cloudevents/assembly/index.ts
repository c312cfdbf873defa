/**
 * cloudevents: reshapes each event into a CloudEvents 1.0 envelope (JSON structured mode) whose
 * `data` is the k8stream record exactly as it came in:
 *
 *   {"specversion":"1.0","id":"<record id>","source":"k8s://<cluster>/<namespace>",
 *    "type":"io.k8s.event.<reason>","subject":"<kind>/<name>","time":"<latest timestamp>",
 *    "datacontenttype":"application/json","dataschema":"urn:k8stream:schema:event:v1",
 *    "schema":"k8stream.cloudevent/v1","data":{…record…}}
 *
 * `schema` is a CloudEvents extension attribute naming this layout: k8stream requires every
 * transform output to carry `schema` and `id` strings.
 *
 * Config (all optional):
 *   source      template for `source` (default `k8s://{cluster}/{namespace}`; a trailing `/`
 *               left by an empty placeholder is trimmed)
 *   subject     template for `subject` (default `{kind}/{name}`)
 *   typePrefix  prefix of `type` (default `io.k8s.event.`); the reason follows, `Unknown` when
 *               the event has none
 *   dataschema  URI of the data's schema (default `urn:k8stream:schema:event:v1`; `none` omits it)
 *
 * Placeholders: {cluster} {namespace} {reason} {type}, and the involved object's {kind} {name}
 * {uid}.
 */
import {
  EventRecord,
  configErrorMessage,
  configOr,
  configProblem,
  fail,
  hasConfigErrors,
  jsonQuote,
  output,
  parseRecord,
  parseRecordError,
  readInput,
} from "@k8stream/transform-kit/assembly";

/** Value of the `schema` extension attribute every envelope carries. */
const ENVELOPE_SCHEMA = "k8stream.cloudevent/v1";

const PLACEHOLDERS: string[] = ["cluster", "namespace", "kind", "name", "reason", "type", "uid"];

let ready = false;
let sourceTemplate = "";
let subjectTemplate = "";
let typePrefix = "";
let dataschema = "";

function checkTemplate(key: string, template: string): void {
  let i = template.indexOf("{");
  while (i >= 0) {
    const close = template.indexOf("}", i);
    if (close < 0) {
      configProblem(key, "unclosed { in template");
      return;
    }
    const name = template.substring(i + 1, close);
    if (!PLACEHOLDERS.includes(name)) {
      configProblem(key, 'unknown placeholder {' + name + "} (known: {" + PLACEHOLDERS.join("} {") + "})");
    }
    i = template.indexOf("{", close);
  }
}

function setup(): void {
  ready = true;
  sourceTemplate = configOr("source", "k8s://{cluster}/{namespace}");
  subjectTemplate = configOr("subject", "{kind}/{name}");
  typePrefix = configOr("typePrefix", "io.k8s.event.");
  dataschema = configOr("dataschema", "urn:k8stream:schema:event:v1");
  checkTemplate("source", sourceTemplate);
  checkTemplate("subject", subjectTemplate);
}

function placeholder(name: string, rec: EventRecord): string {
  if (name == "cluster") return rec.cluster;
  if (name == "namespace") return rec.namespace;
  if (name == "kind") return rec.involvedObject.kind;
  if (name == "name") return rec.involvedObject.name;
  if (name == "reason") return rec.reason;
  if (name == "type") return rec.type;
  return rec.involvedObject.uid;
}

/** Expands `{placeholder}`s in one pass (values are never expanded again). */
function fill(template: string, rec: EventRecord): string {
  let open = template.indexOf("{");
  if (open < 0) return template;
  const parts: string[] = [];
  let last = 0;
  while (open >= 0) {
    const close = template.indexOf("}", open);
    if (close < 0) break; // rejected by checkTemplate
    parts.push(template.substring(last, open));
    parts.push(placeholder(template.substring(open + 1, close), rec));
    last = close + 1;
    open = template.indexOf("{", last);
  }
  parts.push(template.substring(last));
  return parts.join("");
}

function trimTrailingSlashes(s: string): string {
  let end = s.length;
  while (end > 0 && s.charCodeAt(end - 1) == 0x2f) end--;
  return end == s.length ? s : s.substring(0, end);
}

export function transform(): i32 {
  if (!ready) setup();
  if (hasConfigErrors()) return fail(configErrorMessage());
  const text = readInput();
  const rec = parseRecord(text);
  if (rec === null) return fail(parseRecordError());

  const parts: string[] = ['{"specversion":"1.0","id":', jsonQuote(rec.id)];
  parts.push(',"source":');
  parts.push(jsonQuote(trimTrailingSlashes(fill(sourceTemplate, rec))));
  parts.push(',"type":');
  parts.push(jsonQuote(typePrefix + (rec.reason.length > 0 ? rec.reason : "Unknown")));
  const subject = fill(subjectTemplate, rec);
  if (subject.length > 0 && subject != "/") {
    parts.push(',"subject":');
    parts.push(jsonQuote(subject));
  }
  const time = rec.time();
  if (time !== null) {
    parts.push(',"time":');
    parts.push(jsonQuote(time));
  }
  parts.push(',"datacontenttype":"application/json"');
  if (dataschema != "none") {
    parts.push(',"dataschema":');
    parts.push(jsonQuote(dataschema));
  }
  // Extension attribute naming this layout. k8stream requires every transform output to carry
  // `schema` and `id` strings; it also tells consumers what they are reading.
  parts.push(',"schema":"' + ENVELOPE_SCHEMA + '"');
  // the record exactly as received: no re-encoding, fields unknown to this build survive
  parts.push(',"data":');
  parts.push(text.trim());
  parts.push("}");
  return output(parts.join(""));
}
