/** The `report` command's page: one self-contained HTML file for a timeline. */
export { renderReport } from './render.js';
