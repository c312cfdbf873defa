/**
 * The report page in a real headless Chromium: opened from disk with every request recorded, it
 * draws one lane per Lane with one mark per record, the Warning count, the gaps, a list that
 * filters to the right rows, a screenshot that is not blank, and 20,000 events within seconds.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderReport } from '../../core/src/forensics/report/index.js';
import { generatedTimeline, storyTimeline } from '../../core/src/forensics/report/story.fixture.js';
import type { TimelineData } from '../../core/src/forensics/types.js';
import { launchChromium, openPage, pixelStats, type OpenedPage } from '../helpers/chromium.fixture.js';

let browser: Browser;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'k8stream-report-'));
  browser = await launchChromium();
}, 600_000);

afterAll(async () => {
  await browser?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Writes the report of `data` to a file and opens it; resolves once the page says it is ready. */
async function openReport(data: TimelineData, name: string, colorScheme: 'light' | 'dark' = 'light'): Promise<OpenedPage & { url: string; readyMs: number }> {
  const file = join(dir, `${name}.html`);
  await writeFile(file, renderReport(data));
  const url = pathToFileURL(file).href;
  const started = performance.now();
  const opened = await openPage(browser, url, { colorScheme });
  await opened.page.waitForSelector('html[data-ready], html[data-error]', { state: 'attached' });
  const readyMs = performance.now() - started;
  expect(await opened.page.getAttribute('html', 'data-error')).toBeNull();
  return { ...opened, url, readyMs };
}

/** Per lane key: the `data-marks` it claims and the marks its paths really draw (one `M` each). */
function drawnMarks(page: Page): Promise<Record<string, { claimed: number; drawn: number }>> {
  return page.$$eval('[data-lane]', (lanes) =>
    Object.fromEntries(
      lanes.map((g) => [
        g.getAttribute('data-lane') ?? '',
        {
          claimed: Number(g.getAttribute('data-marks')),
          drawn: [...g.querySelectorAll('path')].reduce((n, p) => n + (p.getAttribute('d')?.match(/M/g)?.length ?? 0), 0),
        },
      ]),
    ),
  );
}

function recordsPerLane(data: TimelineData): Record<string, { claimed: number; drawn: number }> {
  const out = Object.fromEntries(data.lanes.map((l) => [l.key, { claimed: 0, drawn: 0 }]));
  for (const e of data.events) {
    out[e.lane]!.claimed++;
    out[e.lane]!.drawn++;
  }
  return out;
}

/** The number of rows the list says match, once it differs from `before` (the debounced filter has run). */
async function rowsAfterChange(page: Page, before: string): Promise<number> {
  await page.waitForSelector(`#event-list:not([data-rows="${before}"])`, { state: 'attached' });
  return Number(await page.getAttribute('#event-list', 'data-rows'));
}

describe('the report page in headless Chromium', () => {
  it('draws the story: a lane per Lane, a mark per record, the Warnings, the gap, and loads nothing', async () => {
    const data = storyTimeline();
    const { page, url, requests, problems, context } = await openReport(data, 'story');
    try {
      expect(await drawnMarks(page)).toEqual(recordsPerLane(data));
      expect(await page.locator('[data-lane]').count()).toBe(data.lanes.length);
      const warnings = data.events.filter((e) => e.type === 'Warning').length;
      expect(await page.textContent('#warning-count')).toBe(String(warnings));
      // Warning marks are drawn in their own colour, on the lanes that have them.
      expect(await page.locator('[data-lane="Pod/shop/web-84b5d7-ztq2n"] path.m-warning').count()).toBe(1);
      expect(await page.locator('[data-lane="Node/node-a"] path.m-warning').count()).toBe(0);

      // The gap spans every lane, and says what it is on hover.
      const gaps = page.locator('[data-gap]');
      expect(await gaps.count()).toBe(data.gaps.length);
      const gapBox = await gaps.first().boundingBox();
      const firstLane = await page.locator('[data-lane-label]').first().boundingBox();
      const lastLane = await page.locator('[data-lane-label]').last().boundingBox();
      expect(gapBox!.width).toBeGreaterThan(10);
      expect(gapBox!.y).toBeLessThanOrEqual(firstLane!.y);
      expect(gapBox!.y + gapBox!.height).toBeGreaterThanOrEqual(lastLane!.y + lastLane!.height);
      await page.mouse.move(gapBox!.x + gapBox!.width / 2, lastLane!.y + lastLane!.height / 2);
      expect(await page.textContent('#tip')).toContain(data.gaps[0]!.message);

      // A mark tells its time, reason and message on hover.
      const oom = data.events.find((e) => e.reason === 'SystemOOM')!;
      const nodeB = (await page.locator('[data-lane="Node/node-b"] path.m-warning').boundingBox())!;
      await page.mouse.move(nodeB.x + nodeB.width / 2, nodeB.y + nodeB.height / 2);
      const tip = await page.textContent('#tip');
      expect(tip).toContain('SystemOOM');
      expect(tip).toContain(oom.message);
      expect(tip).toContain('2026-12-08 10:52:12 UTC');

      // The list: folded entries; filtered by a reason, the Warnings, a lane; or all records.
      const rows = page.locator('[data-role="event-row"]');
      expect(await page.getAttribute('#event-list', 'data-rows')).toBe(String(data.folded.length));
      await page.selectOption('#mode', 'all');
      expect(await rowsAfterChange(page, String(data.folded.length))).toBe(data.events.length);
      const matches = (s: string) => s.toLowerCase().includes('unhealthy');
      const unhealthy = data.events.filter((e) => matches(e.reason) || matches(e.message) || matches(e.lane)).length;
      expect(unhealthy).toBeGreaterThan(5);
      await page.fill('#q', 'Unhealthy');
      expect(await rowsAfterChange(page, String(data.events.length))).toBe(unhealthy);
      expect(await rows.count()).toBe(unhealthy);
      expect(await rows.locator('.c-reason').allTextContents()).toEqual(Array(unhealthy).fill('Unhealthy'));
      await page.fill('#q', '');
      await page.selectOption('#mode', 'folded');
      await page.check('#warn-only');
      const foldedWarnings = data.folded.filter((f) => f.type === 'Warning').length;
      expect(await rowsAfterChange(page, String(unhealthy))).toBe(foldedWarnings);
      await page.uncheck('#warn-only');
      await page.selectOption('#lane-filter', { label: 'Node node-b (3)' });
      expect(await rowsAfterChange(page, String(foldedWarnings))).toBe(data.folded.filter((f) => f.lane === 'Node/node-b').length);
      expect(await rows.locator('.c-reason').allTextContents()).toEqual(['NodeNotReady', 'SystemOOM', 'NodeReady']);
      // A click on a lane's label lists that lane.
      await page.click('[data-lane-label="Pod/shop/web-6f7c9d-p9l4m"]');
      expect(await rowsAfterChange(page, '3')).toBe(data.folded.filter((f) => f.lane === 'Pod/shop/web-6f7c9d-p9l4m').length);
      expect(await rows.locator('.c-object').allTextContents()).toEqual(['Pod web-6f7c9d-p9l4m', 'Pod web-6f7c9d-p9l4m']);

      // A click on a row marks its time on the timeline.
      const cursor = page.locator('#tl-cursor');
      expect(await cursor.getAttribute('visibility')).toBe('hidden');
      await rows.first().click();
      expect(await cursor.getAttribute('visibility')).toBe('visible');
      const markX = Number((await page.getAttribute('[data-lane="Pod/shop/web-6f7c9d-p9l4m"] path', 'd'))?.match(/^M([\d.]+)/)?.[1]);
      expect(Math.abs(Number(await cursor.getAttribute('x1')) - markX)).toBeLessThan(1);

      // A click on a mark lists its lane's records, from that one on.
      await page.mouse.click(nodeB.x + nodeB.width / 2, nodeB.y + nodeB.height / 2);
      expect(await rowsAfterChange(page, '2')).toBe(data.events.filter((e) => e.lane === 'Node/node-b').length);
      expect(await page.inputValue('#mode')).toBe('all');

      // The time axis: a tick every 15 minutes over the 2 hours.
      expect(await page.locator('#tl-axis text').allTextContents()).toEqual(['10:00', '10:15', '10:30', '10:45', '11:00', '11:15', '11:30', '11:45', '12:00']);

      // Dragged across 10:15–10:45, it shows that stretch: only its marks, finer ticks; then all again.
      const tick = async (label: string) => {
        const box = (await page.locator('#tl-axis text', { hasText: label }).boundingBox())!;
        return box.x + box.width / 2;
      };
      const laneY = firstLane!.y + firstLane!.height / 2;
      await page.mouse.move(await tick('10:15'), laneY);
      await page.mouse.down();
      await page.mouse.move(await tick('10:45'), laneY, { steps: 4 });
      await page.mouse.up();
      await page.waitForSelector('#zoom-reset:not([hidden])');
      const from = (await page.getAttribute('#tl-svg', 'data-from'))!;
      const to = (await page.getAttribute('#tl-svg', 'data-to'))!;
      expect(Math.abs(Date.parse(from) - Date.parse('2026-12-08T10:15:00Z'))).toBeLessThan(30_000);
      expect(Math.abs(Date.parse(to) - Date.parse('2026-12-08T10:45:00Z'))).toBeLessThan(30_000);
      const inView = recordsPerLane({ ...data, events: data.events.filter((e) => e.time >= from && e.time <= to) });
      expect(await drawnMarks(page)).toEqual(inView);
      expect(await page.locator('#tl-axis text').allTextContents()).toContain('10:35');
      await page.click('#zoom-reset');
      await page.waitForSelector('#zoom-reset[hidden]', { state: 'attached' });
      expect(await drawnMarks(page)).toEqual(recordsPerLane(data));

      // Not blank: the page's colours, and the Warning red of the crash loop's marks.
      const shot = pixelStats(await page.screenshot(), ['#d1242f', '#3b82c4']);
      expect(shot.distinctColours).toBeGreaterThan(50);
      expect(shot.nonBackground).toBeGreaterThan(0.2);
      expect(shot.near['#d1242f']).toBeGreaterThan(500);
      expect(shot.near['#3b82c4']).toBeGreaterThan(100);

      // Narrower, it draws again to the new width, every mark still there.
      const before = await page.getAttribute('#tl-svg', 'viewBox');
      await page.setViewportSize({ width: 800, height: 800 });
      await page.waitForSelector(`#tl-svg:not([viewBox="${before}"])`, { state: 'attached' });
      expect(await drawnMarks(page)).toEqual(recordsPerLane(data));
      expect(await page.locator('#tl-axis text').allTextContents()).toEqual(['10:00', '10:30', '11:00', '11:30', '12:00']);

      expect(requests).toEqual([url]);
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('follows a dark colour scheme', async () => {
    const { page, context, problems } = await openReport(storyTimeline(), 'story-dark', 'dark');
    try {
      const shot = pixelStats(await page.screenshot());
      const [r, g, b] = [1, 3, 5].map((i) => parseInt(shot.background.slice(i, i + 2), 16));
      expect(r! + g! + b!).toBeLessThan(3 * 64);
      expect(shot.distinctColours).toBeGreaterThan(50);
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('renders a window without events', async () => {
    const data = storyTimeline();
    Object.assign(data, { lanes: [], events: [], folded: [], gaps: [], topReasons: [], warnings: 0 });
    const { page, context, problems } = await openReport(data, 'empty');
    try {
      expect(await page.locator('[data-lane]').count()).toBe(0);
      expect(await page.textContent('.timeline')).toContain('No events in this window.');
      expect(await page.getAttribute('#event-list', 'data-rows')).toBe('0');
      expect(await page.textContent('#warning-count')).toBe('0');
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('renders 20,000 events within seconds and lists them virtually', async () => {
    const data = generatedTimeline(20_000);
    const { page, readyMs, requests, url, problems, context } = await openReport(data, 'twenty-thousand');
    try {
      const inPage = Number(await page.getAttribute('html', 'data-render-ms'));
      console.log(`20,000 events: ready ${readyMs.toFixed(0)} ms after opening (the page's own script: ${inPage} ms)`);
      expect(readyMs).toBeLessThan(10_000);
      expect(await drawnMarks(page)).toEqual(recordsPerLane(data));
      expect(await page.textContent('#warning-count')).toBe(data.events.filter((e) => e.type === 'Warning').length.toLocaleString('en-US'));

      // Only the rows in view exist; scrolled to the end, the last entry is there.
      const rows = page.locator('[data-role="event-row"]');
      expect(Number(await page.getAttribute('#event-list', 'data-rows'))).toBe(data.folded.length);
      expect(await rows.count()).toBeLessThan(100);
      await page.$eval('#event-list', (el) => el.scrollTo(0, el.scrollHeight));
      await page.waitForSelector(`#list-body > [data-role="event-row"][style*="top: ${(data.folded.length - 1) * 24}px"]`);
      expect(await rows.last().locator('.c-message').textContent()).toBe(data.folded.at(-1)!.message);

      const started = performance.now();
      await page.fill('#q', 'checkout-rs3-pod7');
      const n = await rowsAfterChange(page, String(data.folded.length));
      console.log(`20,000 events: filtered in ${(performance.now() - started).toFixed(0)} ms, debounce included`);
      expect(n).toBe(data.folded.filter((f) => f.lane.includes('checkout-rs3-pod7') || f.message.includes('checkout-rs3-pod7')).length);
      expect(requests).toEqual([url]);
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
