/**
 * @k8stream/transform-kit — write k8stream transforms in AssemblyScript.
 *
 * ```ts
 * import { readRecord, replace, drop, configOr } from "@k8stream/transform-kit/assembly";
 *
 * export function transform(): i32 {
 *   const rec = readRecord();
 *   if (rec.namespace == "kube-system") return drop();
 *   rec.enrichment.labels.set("team", configOr("team", "platform"));
 *   return replace(rec);
 * }
 * ```
 */
export {
  RECORD_SCHEMA,
  EventRecord,
  InvolvedObject,
  EventSource,
  OwnerRef,
  NodeAddress,
  NodeInfo,
  PodInfo,
  ServiceRef,
  EnrichmentError,
  Enrichment,
} from "./record";
export {
  OK,
  FAILED,
  readInput,
  readInputBytes,
  readRecord,
  parseRecord,
  parseRecordError,
  output,
  replace,
  fanOut,
  keep,
  drop,
  fail,
  abortWith,
  kitAbort,
} from "./plugin";
export {
  config,
  configOr,
  configBool,
  configInt,
  configJson,
  configList,
  configStringMap,
  configRegex,
  configRegexFrom,
  configProblem,
  configErrors,
  hasConfigErrors,
  configErrorMessage,
  stringItems,
  stringMap,
} from "./config";
export { JsonKind, JsonNode, parseJson, jsonError, jsonQuote } from "./json";
export { Regex, RegexMatch, escapeRegex } from "./regex";
export { globMatch, globMatchAny, isGlob } from "./glob";
export { replaceAllText } from "./text";
