/** The report page's stylesheet: light and dark schemes (`prefers-color-scheme`), system fonts only. */
export const PAGE_STYLE = `
:root{--bg:#f6f8fa;--panel:#fff;--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--band:#f6f8fa;--hover:#eef4ff;
--normal:#3b82c4;--warning:#d1242f;--other:#8250df;--gap:rgba(154,103,0,.16);--gap-edge:rgba(154,103,0,.55);
font:13px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;color-scheme:light dark}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--panel:#151b23;--fg:#e6edf3;--muted:#9198a1;--line:#30363d;--band:#1a212b;--hover:#1f2a3a;
--normal:#4c9be8;--warning:#f85149;--other:#a371f7;--gap:rgba(210,153,34,.16);--gap-edge:rgba(210,153,34,.6)}}
*{box-sizing:border-box}
[hidden]{display:none!important}
body{margin:0;background:var(--bg);color:var(--fg)}
main{padding:14px 18px 24px;max-width:1800px;margin:0 auto}
code{font:12px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
h1{font-size:20px;margin:0 0 8px;overflow-wrap:anywhere}
h2{font-size:14px;margin:0}
.kicker{margin:0;color:var(--muted);font-size:11px;text-transform:uppercase;letter-spacing:.06em}
.meta{display:flex;flex-wrap:wrap;gap:4px 22px;margin:0}
.meta div{min-width:0}
.meta dt{color:var(--muted);font-size:11px}
.meta dd{margin:0;font-weight:600;overflow-wrap:anywhere}
.meta-warning dd{color:var(--warning)}
.meta-problem dd{color:var(--gap-edge)}
.skipped{margin-top:8px;color:var(--muted)}
.skipped ul{margin:4px 0;padding-left:18px;max-height:160px;overflow:auto}
.panel{background:var(--panel);border:1px solid var(--line);border-radius:6px;margin-top:12px;padding:10px 12px}
.panel-head{display:flex;align-items:baseline;gap:14px;margin-bottom:8px;flex-wrap:wrap}
.legend{color:var(--muted);font-size:12px}
.hint{color:var(--muted);font-size:11px;margin-left:auto}
.legend i{display:inline-block;width:10px;height:10px;border-radius:2px;margin:0 4px 0 10px;vertical-align:-1px}
.k-normal{background:var(--normal)}.k-warning{background:var(--warning)}.k-other{background:var(--other)}
.k-gap{background:var(--gap);border:1px dashed var(--gap-edge)}
.tl{display:grid;grid-template-columns:minmax(140px,260px) 1fr;position:relative;max-height:75vh;overflow-y:auto;overscroll-behavior:contain}
.tl-labels{border-right:1px solid var(--line);min-width:0}
.tl-labels .corner{position:sticky;top:0;background:var(--panel);z-index:2;color:var(--muted);font-size:11px;display:flex;align-items:flex-end;padding:0 8px 3px}
.tl-labels .grp{font-weight:600;font-size:12px;display:flex;align-items:flex-end;padding:0 8px 2px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis;border-top:1px solid var(--line)}
.tl-labels .lane{display:flex;align-items:center;gap:6px;padding:0 8px;white-space:nowrap;overflow:hidden;cursor:pointer}
.tl-labels .lane:hover{background:var(--hover)}
.tl-labels .lane.head{border-top:1px solid var(--line);font-weight:600}
.tl-labels .lane .kind{color:var(--muted);font-size:11px;flex:none}
.tl-labels .lane .name{overflow:hidden;text-overflow:ellipsis}
.tl-labels .lane .n{margin-left:auto;color:var(--muted);font-size:11px;flex:none}
.tl-plot{min-width:0;position:relative}
.tl-axis{position:sticky;top:0;z-index:1;display:block;width:100%;background:var(--panel)}
.tl-svg{display:block;width:100%}
.tl-axis text{fill:var(--muted);font-size:11px}
.tl-axis line,.tl-svg .grid{stroke:var(--line);stroke-width:1}
.tl-svg .band{fill:var(--band)}
.tl-svg .grp-line{stroke:var(--line)}
.tl-svg .gap{fill:var(--gap);stroke:var(--gap-edge);stroke-dasharray:3 2}
.tl-svg path{fill:none;stroke-width:1.5;shape-rendering:crispEdges}
.tl-svg .m-normal{stroke:var(--normal)}.tl-svg .m-warning{stroke:var(--warning);stroke-width:2}.tl-svg .m-other{stroke:var(--other)}
.tl-svg .cursor{stroke:var(--fg);stroke-width:1;opacity:.35}
.tl-svg{cursor:crosshair;user-select:none}
.tl-svg .brush{fill:var(--normal);opacity:.15}
.zoom-reset{font:inherit;font-size:12px;color:inherit;background:var(--bg);border:1px solid var(--line);border-radius:4px;padding:1px 8px;cursor:pointer}
.tip{position:fixed;z-index:10;max-width:440px;background:var(--panel);color:var(--fg);border:1px solid var(--line);border-radius:6px;padding:6px 9px;box-shadow:0 4px 14px rgba(0,0,0,.18);pointer-events:none;font-size:12px;overflow-wrap:anywhere}
.tip b{font-weight:600}.tip .t{color:var(--muted)}.tip .more{color:var(--muted);margin-top:3px}
.tip .warning{color:var(--warning)}.tip .normal{color:var(--normal)}.tip .other{color:var(--other)}
.cols{display:grid;grid-template-columns:minmax(220px,320px) 1fr;gap:0 12px}
@media (max-width:900px){.cols{grid-template-columns:1fr}}
.reasons{list-style:none;margin:0;padding:0}
.reason{display:grid;grid-template-columns:minmax(0,11em) 1fr auto;align-items:center;gap:8px;width:100%;background:none;border:0;color:inherit;font:inherit;padding:3px 2px;cursor:pointer;text-align:left;border-radius:4px}
.reason:hover{background:var(--hover)}
.r-name{overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.r-bar{height:10px;background:var(--band);border-radius:2px;overflow:hidden}
.r-bar span{display:block;height:100%;background:var(--normal)}
.t-warning .r-bar span{background:var(--warning)}.t-other .r-bar span{background:var(--other)}
.r-n{color:var(--muted);font-variant-numeric:tabular-nums}
.controls{display:flex;flex-wrap:wrap;gap:8px;align-items:center;margin-bottom:8px}
.controls input[type=search]{flex:1 1 240px;min-width:0}
.controls input,.controls select{font:inherit;color:inherit;background:var(--bg);border:1px solid var(--line);border-radius:4px;padding:3px 6px}
.controls select{max-width:260px}
.row-count{color:var(--muted);font-size:12px}
.list-head,.row{display:grid;grid-template-columns:140px minmax(80px,180px) minmax(80px,140px) 1fr 56px;gap:10px;padding:0 8px}
.list-head{color:var(--muted);font-size:11px;border-bottom:1px solid var(--line);padding-bottom:3px}
.c-n{text-align:right}
.list{position:relative;height:min(60vh,560px);overflow:auto;outline:none}
.list-body{position:relative}
.row{position:absolute;left:0;right:0;height:24px;align-items:center;white-space:nowrap;border-bottom:1px solid var(--band)}
.row span{overflow:hidden;text-overflow:ellipsis}
.row:hover{background:var(--hover)}
.row .c-time{font-variant-numeric:tabular-nums;color:var(--muted)}
.row.warning{box-shadow:inset 3px 0 var(--warning)}.row.warning .c-reason{color:var(--warning);font-weight:600}
.row.other{box-shadow:inset 3px 0 var(--other)}
.row .c-n{font-variant-numeric:tabular-nums;color:var(--muted)}
.empty{color:var(--muted);padding:8px}
`;
