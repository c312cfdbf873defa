// Makes docs/report.png, the README's picture of a report: the story timeline (an incident on
// service shop/web) rendered by the built renderReport and shot in headless Chromium at 1280×800.
//   npm run build && node test/forensics/screenshot.mjs [out.png] [--dark]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { renderReport } from '../../core/dist/forensics/report/index.js';
import { storyTimeline } from '../../core/src/forensics/report/story.fixture.ts';

const args = process.argv.slice(2);
const out = args.find((a) => !a.startsWith('--')) ?? 'docs/report.png';
const executablePath = ['chromium', 'chromium-browser']
  .map((name) => {
    try {
      return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim();
    } catch {
      return '';
    }
  })
  .find((p) => p !== '');
if (!executablePath) throw new Error('chromium is required (Debian package chromium): apt-get install -y chromium');

const dir = mkdtempSync(join(tmpdir(), 'k8stream-report-'));
const browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] });
try {
  const file = join(dir, 'incident.html');
  writeFileSync(file, renderReport(storyTimeline()));
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 }, colorScheme: args.includes('--dark') ? 'dark' : 'light' });
  await page.goto(pathToFileURL(file).href);
  await page.waitForSelector('html[data-ready]');
  // A pointer over the crash-looping pod's marks, to show the tooltip as a reader would see it.
  const lane = page.locator('[data-lane="Pod/shop/web-84b5d7-ztq2n"]');
  const box = await lane.boundingBox();
  if (box) await page.mouse.move(box.x + box.width * 0.3, box.y + box.height / 2);
  await page.screenshot({ path: out });
  console.log(`wrote ${out}`);
} finally {
  await browser.close();
  rmSync(dir, { recursive: true, force: true });
}
