/** Test helpers: scrape and read Prometheus text, poll an endpoint until a condition holds. */

/** A scrape: sample value by name and labels (label order does not matter). */
export interface Scrape {
  value(name: string, labels?: Record<string, string>): number | undefined;
  text: string;
}

export function parseMetrics(text: string): Scrape {
  const byKey = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    byKey.set(keyOf(line.slice(0, i)), Number(line.slice(i + 1)));
  }
  return {
    text,
    value: (name, labels = {}) =>
      byKey.get(
        keyOf(
          `${name}{${Object.entries(labels)
            .map(([k, v]) => `${k}="${v}"`)
            .join(',')}}`,
        ),
      ),
  };
}

function keyOf(sample: string): string {
  const b = sample.indexOf('{');
  if (b < 0) return sample;
  const labels = sample.slice(b + 1, -1).match(/[a-zA-Z_]+="[^"]*"/g) ?? [];
  return labels.length === 0 ? sample.slice(0, b) : `${sample.slice(0, b)}{${labels.sort().join(',')}}`;
}

export async function scrape(base: string): Promise<Scrape> {
  const res = await fetch(`${base}/metrics`);
  if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`);
  return parseMetrics(await res.text());
}

/** Polls `probe` every `everyMs` until it returns a value that is not undefined, or fails at the deadline. */
export async function until<T>(what: string, probe: () => Promise<T | undefined>, deadlineMs = 20_000, everyMs = 25): Promise<T> {
  const end = Date.now() + deadlineMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
