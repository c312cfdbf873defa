/** The Elasticsearch index template: `k8stream-events-{yyyy}.{MM}.{dd}`. */

/** Placeholders an index template may use. */
export const INDEX_PLACEHOLDERS = ['cluster', 'namespace', 'yyyy', 'MM', 'dd'] as const;

const PLACEHOLDER = /\{([^{}]*)\}/g;

/** Problems with an index template (unknown placeholders, upper case letters); empty when valid. */
export function validateIndexTemplate(template: string): string[] {
  const problems: string[] = [];
  for (const match of template.matchAll(PLACEHOLDER)) {
    const name = match[1] ?? '';
    if (!(INDEX_PLACEHOLDERS as readonly string[]).includes(name)) {
      problems.push(`unknown placeholder {${name}} (expected one of: ${INDEX_PLACEHOLDERS.map((p) => `{${p}}`).join(' ')})`);
    }
  }
  if (/[A-Z]/.test(template.replace(PLACEHOLDER, ''))) problems.push('index names must be lower case');
  return problems;
}

/** Values for one document's index name. */
export interface IndexValues {
  cluster: string;
  namespace: string;
  /** Event time, ms since epoch. */
  time: number;
}

/** Renders `template` for one document; the result is lower-cased (index names must be). */
export function renderIndex(template: string, values: IndexValues): string {
  const d = new Date(values.time);
  const two = (n: number) => String(n).padStart(2, '0');
  const parts: Record<string, string> = {
    cluster: values.cluster,
    namespace: values.namespace === '' ? '_cluster' : values.namespace,
    yyyy: String(d.getUTCFullYear()),
    MM: two(d.getUTCMonth() + 1),
    dd: two(d.getUTCDate()),
  };
  return template.replace(PLACEHOLDER, (whole, name: string) => parts[name] ?? whole).toLowerCase();
}
