// The asc transform every k8stream transform is built with (`asconfig.json` lists it).
//
// It wraps json-as's transform and fixes two things for k8stream transforms:
// - Build settings json-as reads from the environment when its module loads, pinned unless the
//   author set them:
//     JSON_MODE=NAIVE  json-as 1.6.0's default SWAR (and its SIMD) string serializer corrupts
//                      surrogate pairs (emoji) that follow an escaped character; NAIVE is exact.
//     JSON_CACHE=128   json-as reserves a 1 MiB string-cache arena per instance by default even
//                      though the cache is off; a tiny budget keeps each instance small.
// - json-as marks every source whose internal path is `assembly/index` as a library file (a
//   leftover from building json-as itself), which silently drops the exports of an entry file
//   at `assembly/index.ts`, the layout k8stream transforms use. Entry files keep their kind.
//
// Do not also pass `--transform json-as`: the source would be transformed twice.
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

process.env.JSON_MODE ??= 'NAIVE';
process.env.JSON_CACHE ??= '128';

const require = createRequire(import.meta.url);
const jsonAs = await import(pathToFileURL(require.resolve('json-as')).href);
const JsonAsTransform = jsonAs.default;

export default class K8streamTransform extends JsonAsTransform {
  afterParse(parser) {
    const kinds = new Map();
    for (const source of parser.sources) {
      if (source.internalPath === 'assembly/index') kinds.set(source, source.sourceKind);
    }
    const restore = () => {
      for (const [source, kind] of kinds) source.sourceKind = kind;
    };
    const result = super.afterParse(parser);
    if (result && typeof result.then === 'function') return result.then((r) => (restore(), r));
    restore();
    return result;
  }
}
