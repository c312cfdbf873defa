/**
 * The report page: one self-contained HTML file. The header and the top reasons are written here;
 * the timeline and the event list are drawn by the page's own script from the embedded data, so
 * they fit the window's width and stay fast with tens of thousands of events. A Content-Security-
 * Policy lets the page load nothing at all and run only its own script (by hash).
 */
import { createHash } from 'node:crypto';
import type { TimelineData } from '../types.js';
import { packReport } from './embed.js';
import { escapeHtml, jsonForScript } from './escape.js';
import { formatBytes, formatCount, formatTime, formatWindow } from './format.js';
import { PAGE_SCRIPT } from './page-script.js';
import { PAGE_STYLE } from './page-style.js';

/** Objects left out listed in the header at most; the rest are counted. */
const SKIPPED_LISTED = 50;

function meta(label: string, value: string, attrs = ''): string {
  return `<div${attrs}><dt>${escapeHtml(label)}</dt><dd>${value}</dd></div>`;
}

function header(data: TimelineData, warnings: number): string {
  const s = data.stats;
  const items = [
    meta('Window', escapeHtml(formatWindow(data.window.from, data.window.to))),
    meta('Archive', `<code>${escapeHtml(data.archive)}</code>`),
    meta('Clusters', data.clusters.length > 0 ? escapeHtml(data.clusters.join(', ')) : '—'),
    meta('Events', `<span id="event-count">${formatCount(data.events.length)}</span>`),
    meta('Warnings', `<span id="warning-count">${formatCount(warnings)}</span>`, ' class="meta-warning"'),
    meta('Lanes', `<span id="lane-count">${formatCount(data.lanes.length)}</span>`),
    meta('Objects read', `${formatCount(s.files)} of ${formatCount(s.objectsListed)} listed, ${escapeHtml(formatBytes(s.bytesFetched))}`),
  ];
  if (s.skippedObjects.length > 0) items.push(meta('Skipped objects', formatCount(s.skippedObjects.length), ' class="meta-problem"'));
  if (s.malformedLines > 0) items.push(meta('Malformed lines', formatCount(s.malformedLines), ' class="meta-problem"'));
  if (s.duplicates > 0) items.push(meta('Duplicates dropped', formatCount(s.duplicates)));
  if (s.foreignRecords > 0) items.push(meta('Foreign records', formatCount(s.foreignRecords)));
  if (data.gaps.length > 0) items.push(meta('Gaps', formatCount(data.gaps.length), ' class="meta-problem"'));
  return `<header class="head">
<p class="kicker">k8stream incident report · generated <span id="generated-at">${escapeHtml(formatTime(data.generatedAt))} UTC</span></p>
<h1>${escapeHtml(data.title)}</h1>
<dl class="meta">${items.join('')}</dl>
${skipped(data)}</header>`;
}

function skipped(data: TimelineData): string {
  const list = data.stats.skippedObjects;
  if (list.length === 0) return '';
  const rows = list.slice(0, SKIPPED_LISTED).map((o) => `<li><code>${escapeHtml(o.key)}</code> <b>${escapeHtml(o.code)}</b> ${escapeHtml(o.reason)}</li>`);
  if (list.length > SKIPPED_LISTED) rows.push(`<li>and ${formatCount(list.length - SKIPPED_LISTED)} more</li>`);
  return `<details class="skipped"><summary>${formatCount(list.length)} objects were left out; their events are missing</summary><ul>${rows.join('')}</ul></details>`;
}

/** The CSS class of a record's type: `normal`, `warning` or `other`. */
export function typeClass(type: string): string {
  return type === 'Normal' ? 'normal' : type === 'Warning' ? 'warning' : 'other';
}

function reasons(data: TimelineData): string {
  if (data.topReasons.length === 0) return '<p class="empty">No events in this window.</p>';
  const max = Math.max(...data.topReasons.map((r) => r.records));
  const items = data.topReasons.map((r) => {
    const width = max > 0 ? ((100 * r.records) / max).toFixed(1) : '0';
    const reason = escapeHtml(r.reason);
    return `<li><button type="button" class="reason t-${typeClass(r.type)}" data-reason="${reason}" title="${escapeHtml(r.type)}: show only ${reason}"><span class="r-name">${reason}</span><span class="r-bar"><span style="width:${width}%"></span></span><span class="r-n">${formatCount(r.records)}</span></button></li>`;
  });
  return `<ol class="reasons">${items.join('')}</ol>`;
}

function scriptHash(script: string): string {
  return `'sha256-${createHash('sha256').update(script, 'utf8').digest('base64')}'`;
}

/** The report for a timeline, as one HTML document. */
export function renderReport(data: TimelineData): string {
  const warnings = data.events.reduce((n, e) => (e.type === 'Warning' ? n + 1 : n), 0);
  const csp = `default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src ${scriptHash(PAGE_SCRIPT)}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="k8stream report">
<title>${escapeHtml(data.title)} — k8stream report</title>
<style>${PAGE_STYLE}</style>
</head>
<body>
<main id="report">
${header(data, warnings)}
<section class="panel timeline" aria-label="Timeline">
<div class="panel-head"><h2>Timeline</h2><span class="legend"><i class="k-normal"></i>Normal <i class="k-warning"></i>Warning <i class="k-other"></i>Other <i class="k-gap"></i>Gap (events may be missing)</span><span class="hint">Hover a mark for its event; click a mark or a lane to list its records; drag across the lanes to zoom</span><button type="button" id="zoom-reset" class="zoom-reset" hidden>Show the whole window</button></div>
<div class="tl" id="tl"><div class="tl-labels" id="tl-labels"></div><div class="tl-plot" id="tl-plot"><svg id="tl-axis" class="tl-axis" aria-hidden="true"></svg><svg id="tl-svg" class="tl-svg" role="img" aria-label="Events over time, one lane per object"></svg></div></div>
<div id="tip" class="tip" role="tooltip" hidden></div>
</section>
<div class="cols">
<section class="panel reasons-panel" aria-label="Top reasons"><div class="panel-head"><h2>Top reasons</h2></div>${reasons(data)}</section>
<section class="panel events" aria-label="Events">
<div class="panel-head"><h2>Events</h2><span id="row-count" class="row-count"></span></div>
<div class="controls">
<input id="q" type="search" placeholder="Filter by reason, message or object" aria-label="Filter by reason, message or object" autocomplete="off">
<label><input id="warn-only" type="checkbox"> Warnings only</label>
<select id="lane-filter" aria-label="Lane"><option value="">All lanes</option></select>
<select id="mode" aria-label="Show"><option value="folded">Folded repeats</option><option value="all">All records</option></select>
</div>
<div class="list-head" aria-hidden="true"><span>Time (UTC)</span><span>Object</span><span>Reason</span><span>Message</span><span class="c-n">Count</span></div>
<div id="event-list" class="list" data-rows="0" tabindex="0"><div id="list-body" class="list-body"></div></div>
</section>
</div>
<noscript><p class="empty">The timeline and the event list need JavaScript; the data is embedded in this file as JSON (script#report-data).</p></noscript>
</main>
<script type="application/json" id="report-data">${jsonForScript(packReport(data))}</script>
<script>${PAGE_SCRIPT}</script>
</body>
</html>
`;
}
