import { createHash } from 'node:crypto';
import { Script } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { packReport } from './embed.js';
import { renderReport } from './index.js';
import { PAGE_SCRIPT } from './page-script.js';
import { generatedTimeline, storyTimeline } from './story.fixture.js';

const DATA_SCRIPT = /<script type="application\/json" id="report-data">([\s\S]*?)<\/script>/;

/** The page's embedded data, parsed back. */
function embedded(html: string): unknown {
  const m = DATA_SCRIPT.exec(html);
  if (!m?.[1]) throw new Error('no script#report-data in the page');
  return JSON.parse(m[1]);
}

describe('renderReport', () => {
  it('writes one HTML document with its header, the panels the script fills, the data and one script', () => {
    const data = storyTimeline();
    const html = renderReport(data);
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain('<h1>service shop/web</h1>');
    expect(html).toContain('2026-12-08 10:00:00 → 12:00:00 UTC (2 h)');
    expect(html).toContain(`<span id="event-count">${data.events.length}</span>`);
    const warnings = data.events.filter((e) => e.type === 'Warning').length;
    expect(warnings).toBeGreaterThan(0);
    expect(html).toContain(`<span id="warning-count">${warnings}</span>`);
    expect(html).toContain(`<span id="lane-count">${data.lanes.length}</span>`);
    for (const id of ['tl-labels', 'tl-svg', 'tl-axis', 'event-list', 'q', 'warn-only', 'lane-filter', 'mode']) expect(html).toContain(`id="${id}"`);
    expect(html.match(/<script\b/g)).toHaveLength(2);
    expect(html.match(/<\/script>/g)).toHaveLength(2);
    expect(embedded(html)).toEqual(packReport(data));
  });

  it('lists the top reasons as bars, the longest for the most records', () => {
    const html = renderReport(storyTimeline());
    const bars = [...html.matchAll(/data-reason="([^"]*)"[^>]*>.*?style="width:([\d.]+)%"/g)].map((m) => [m[1], Number(m[2])]);
    expect(bars[0]).toEqual(['BackOff', 100]);
    expect(bars.length).toBe(10);
    expect(bars.every(([, w], i) => i === 0 || (w as number) <= (bars[i - 1]?.[1] as number))).toBe(true);
  });

  it('escapes names and messages: a message cannot close the data script or open a script of its own', () => {
    const data = storyTimeline();
    const evil = '</script><script>alert(1)</script><!-- "quoted" & \'single\'';
    data.title = 'service shop/<b>"web"</b> ü→日本';
    data.archive = '/tmp/<img src=x onerror=alert(1)>';
    data.events[0]!.message = evil;
    data.topReasons[0]!.reason = '<i>Back"Off</i>';
    const html = renderReport(data);
    expect(html.match(/<script\b/g)).toHaveLength(2);
    expect(html.match(/<\/script/g)).toHaveLength(2);
    expect(html).not.toContain('<!--');
    expect(html).not.toContain('<b>"web"</b>');
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<i>Back');
    expect(html).toContain('<h1>service shop/&lt;b&gt;&quot;web&quot;&lt;/b&gt; ü→日本</h1>');
    expect(html).toContain('data-reason="&lt;i&gt;Back&quot;Off&lt;/i&gt;"');
    const packed = embedded(html) as ReturnType<typeof packReport>;
    expect(packed.strings).toContain(evil);
    expect(packed.strings).toContain('System OOM encountered, victim process: java, pid: 48211 <script>alert(1)</script>');
  });

  it('refers to nothing on the network outside the data, and lets the browser run only its own script', () => {
    const html = renderReport(storyTimeline());
    expect(html).toContain('http://10.4.2.17'); // in a message, inside the data
    const page = html.replace(DATA_SCRIPT, '');
    expect(page).not.toMatch(/https?:\/\//i);
    expect(page).not.toMatch(/\b(src|href)=/i);
    expect(page).not.toMatch(/@import|url\(/i);
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(html)?.[1] ?? '';
    expect(csp).toMatch(/^default-src 'none';/);
    const hash = createHash('sha256').update(PAGE_SCRIPT, 'utf8').digest('base64');
    expect(csp).toContain(`script-src 'sha256-${hash}'`);
    expect(html).toContain(`<script>${PAGE_SCRIPT}</script>`);
  });

  it('has a page script that parses, and uses no template literal that String.raw would have cut', () => {
    expect(() => new Script(PAGE_SCRIPT)).not.toThrow();
    expect(PAGE_SCRIPT.startsWith('(function () {')).toBe(true);
    expect(PAGE_SCRIPT.trimEnd().endsWith('})();')).toBe(true);
  });

  it('shows what was left out of the read: skipped objects and malformed lines, only when there are any', () => {
    const clean = storyTimeline();
    clean.stats.duplicates = 0;
    expect(renderReport(clean)).not.toMatch(/Skipped objects|Malformed lines|Duplicates dropped|left out/);
    const data = storyTimeline();
    data.stats.malformedLines = 7;
    data.stats.skippedObjects = Array.from({ length: 53 }, (_, i) => ({ key: `demo/2026/12/08/10/b${i}<x>.ndjson.gz`, code: 'EVENT_INVALID', reason: 'truncated gzip' }));
    const html = renderReport(data);
    expect(html).toContain('<dt>Skipped objects</dt><dd>53</dd>');
    expect(html).toContain('<dt>Malformed lines</dt><dd>7</dd>');
    expect(html).toContain('53 objects were left out');
    expect(html).toContain('<code>demo/2026/12/08/10/b0&lt;x&gt;.ndjson.gz</code> <b>EVENT_INVALID</b> truncated gzip');
    expect(html).toContain('<li>and 3 more</li>');
  });

  it('renders an empty timeline', () => {
    const data = storyTimeline();
    Object.assign(data, { events: [], folded: [], topReasons: [], gaps: [], warnings: 0 });
    const html = renderReport(data);
    expect(html).toContain('No events in this window.');
    expect(html).toContain('<span id="event-count">0</span>');
  });

  it('stays under 2.5 MiB for 20,000 events, a third of the records as JSON', () => {
    const data = generatedTimeline(20_000);
    const t = performance.now();
    const html = renderReport(data);
    const ms = performance.now() - t;
    const bytes = Buffer.byteLength(html);
    const raw = Buffer.byteLength(JSON.stringify(data));
    console.log(`report for 20,000 events: ${(bytes / 1024).toFixed(0)} KiB (the TimelineData as JSON: ${(raw / 1024).toFixed(0)} KiB), rendered in ${ms.toFixed(0)} ms`);
    expect(bytes).toBeLessThan(2.5 * 1024 * 1024);
    expect(bytes).toBeLessThan(raw / 3);
  });
});
