/**
 * The `report` command's page: one self-contained HTML file for a timeline (no network, no
 * external scripts, fonts or images; a Content-Security-Policy lets it load nothing).
 *
 * Stable hooks for tests and tools:
 * - `script#report-data`: the data as JSON, packed (see `PackedReport`: `events` and `lanes` as
 *   in the timeline, times relative to `t0`, strings by index);
 * - `html[data-ready]` once the page has drawn everything (`data-render-ms`: how long its script
 *   took), `html[data-error]` when its script failed;
 * - `#event-count`, `#warning-count` (Warning records), `#lane-count`;
 * - `[data-lane="<key>"]` per lane, with `data-marks="<n>"` the marks drawn on it, and
 *   `[data-lane-label="<key>"]` its label; `[data-gap]` per gap;
 * - `#event-list[data-rows]` the number of list entries that match the filter, of which the ones
 *   in view exist as `[data-role="event-row"]`; the filters `#q`, `#warn-only`, `#lane-filter`
 *   (a lane's index) and `#mode` (`folded` or `all`); `#tip` the tooltip.
 */
export { renderReport } from './render.js';
export type { PackedReport, PackedEvent, PackedFolded } from './embed.js';
