/**
 * A real headless Chromium for tests, driven by playwright-core with the system's binary (Debian
 * package `chromium`). When it is missing it is installed once, under an flock so that test files
 * running in parallel wait for one `apt-get install` instead of racing; when it cannot be, the
 * test fails with one line naming the package, never skips. Pages are opened with every request
 * recorded and none but the page's own file let through, and screenshots can be decoded to pixels.
 */
import { execFile } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { inflateSync } from 'node:zlib';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { failureLine } from './tool.fixture.js';

const run = promisify(execFile);

/** Held while one test file looks for Chromium and installs it: the others wait on it, then find it. */
const INSTALL_LOCK = join(tmpdir(), 'k8stream-chromium-install.lock');

const FIND_OR_INSTALL = `
find() { for c in chromium chromium-browser; do p=$(command -v "$c") && "$p" --version >/dev/null 2>&1 && { echo "$p"; return 0; }; done; return 1; }
find && exit 0
export DEBIAN_FRONTEND=noninteractive
{ apt-get install -y -qq chromium || { apt-get update -qq && apt-get install -y -qq chromium; }; } >/dev/null || exit 1
find || { echo 'E: installed, but neither chromium nor chromium-browser runs' >&2; exit 1; }
`;

let found: Promise<string> | undefined;

/** The path of a Chromium that runs, installing the Debian package `chromium` first when there is none. */
export function requireChromium(): Promise<string> {
  found ??= run('flock', [INSTALL_LOCK, 'sh', '-c', FIND_OR_INSTALL], { timeout: 600_000 }).then(
    ({ stdout }) => stdout.trim().split('\n').at(-1) ?? '',
    (err: unknown) => {
      throw new Error(`chromium is required (Debian package chromium); installing it failed: ${failureLine(err)}`);
    },
  );
  return found;
}

/** A headless Chromium; close it in `afterAll`. */
export async function launchChromium(): Promise<Browser> {
  const executablePath = await requireChromium();
  // Tests run as root, where Chromium's sandbox cannot start.
  return chromium.launch({ executablePath, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
}

export interface OpenedPage {
  context: BrowserContext;
  page: Page;
  /** Every URL the page asked for, its own file included. */
  requests: string[];
  /** Console errors (a Content-Security-Policy refusal is one) and uncaught exceptions. */
  problems: string[];
}

/**
 * Opens `url` in a new context: requests for anything but `allowed` (the page's own URL by
 * default) are recorded and aborted, so nothing leaves the machine; console errors are recorded.
 */
export async function openPage(browser: Browser, url: string, options: { viewport?: { width: number; height: number }; colorScheme?: 'light' | 'dark' } = {}): Promise<OpenedPage> {
  const context = await browser.newContext({ viewport: options.viewport ?? { width: 1280, height: 800 }, colorScheme: options.colorScheme ?? 'light' });
  const requests: string[] = [];
  const problems: string[] = [];
  await context.route('**/*', (route) => {
    const requested = route.request().url();
    return requested === url ? route.continue() : route.abort('blockedbyclient');
  });
  const page = await context.newPage();
  page.on('request', (r) => requests.push(r.url()));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  await page.goto(url);
  return { context, page, requests, problems };
}

export interface Pixels {
  width: number;
  height: number;
  /** RGBA, 4 bytes a pixel, rows top to bottom. */
  data: Uint8Array;
}

/** Decodes an 8-bit, non-interlaced RGB or RGBA PNG (what Chromium's screenshots are). */
export function decodePng(png: Buffer): Pixels {
  if (!png.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) throw new Error('not a PNG');
  let width = 0;
  let height = 0;
  let channels = 0;
  const idat: Buffer[] = [];
  for (let at = 8; at < png.length;) {
    const length = png.readUInt32BE(at);
    const type = png.toString('latin1', at + 4, at + 8);
    const body = png.subarray(at + 8, at + 8 + length);
    if (type === 'IHDR') {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      const [depth, colour, , , interlace] = body.subarray(8, 13);
      channels = colour === 6 ? 4 : colour === 2 ? 3 : 0;
      if (depth !== 8 || channels === 0 || interlace !== 0) throw new Error(`unsupported PNG: depth ${depth}, colour type ${colour}, interlace ${interlace}`);
    } else if (type === 'IDAT') idat.push(body);
    else if (type === 'IEND') break;
    at += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const rows = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const src = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? rows[y * stride + x - channels]! : 0;
      const b = y > 0 ? rows[(y - 1) * stride + x]! : 0;
      const c = x >= channels && y > 0 ? rows[(y - 1) * stride + x - channels]! : 0;
      let predicted = 0;
      if (filter === 1) predicted = a;
      else if (filter === 2) predicted = b;
      else if (filter === 3) predicted = (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        predicted = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      } else if (filter !== 0) throw new Error(`bad PNG filter ${filter} on row ${y}`);
      rows[y * stride + x] = (src[x]! + predicted) & 0xff;
    }
  }
  if (channels === 4) return { width, height, data: rows };
  const data = new Uint8Array(width * height * 4);
  for (let i = 0, j = 0; i < rows.length; i += 3, j += 4) data.set([rows[i]!, rows[i + 1]!, rows[i + 2]!, 255], j);
  return { width, height, data };
}

export interface PixelStats {
  distinctColours: number;
  /** The most frequent colour, `#rrggbb`. */
  background: string;
  /** Pixels not of the background colour, as a share of all. */
  nonBackground: number;
  /** Pixels within `tolerance` of each of `colours` (`#rrggbb`), per colour. */
  near: Record<string, number>;
}

/** What a screenshot shows, roughly: how many colours, how much is not background, how much of given colours. */
export function pixelStats(png: Buffer, colours: string[] = [], tolerance = 24): PixelStats {
  const { width, height, data } = decodePng(png);
  const counts = new Map<number, number>();
  const targets = colours.map((c) => [c, parseInt(c.slice(1, 3), 16), parseInt(c.slice(3, 5), 16), parseInt(c.slice(5, 7), 16)] as const);
  const near: Record<string, number> = Object.fromEntries(colours.map((c) => [c, 0]));
  for (let i = 0; i < data.length; i += 4) {
    const r = data[i]!;
    const g = data[i + 1]!;
    const b = data[i + 2]!;
    const key = (r << 16) | (g << 8) | b;
    counts.set(key, (counts.get(key) ?? 0) + 1);
    for (const [c, tr, tg, tb] of targets) if (Math.abs(r - tr) <= tolerance && Math.abs(g - tg) <= tolerance && Math.abs(b - tb) <= tolerance) near[c]!++;
  }
  let background = 0;
  let most = 0;
  for (const [key, n] of counts)
    if (n > most) {
      most = n;
      background = key;
    }
  return { distinctColours: counts.size, background: `#${background.toString(16).padStart(6, '0')}`, nonBackground: 1 - most / (width * height), near };
}
