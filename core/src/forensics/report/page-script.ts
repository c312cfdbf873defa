/**
 * The report page's own script, inlined as it is (plain ES2020, no dependencies). It reads the
 * packed data (embed.ts) from `script#report-data`, draws the timeline as one SVG path per lane and
 * type, keeps the event list virtual (only the rows in view exist), filters with a debounce, and
 * sets `data-ready` on the root element when the first rendering is done (`data-error` if it failed).
 * Written without template literals so that it can live in this String.raw literal.
 */
export const PAGE_SCRIPT = String.raw`(function () {
'use strict';
var started = performance.now();
try {
  main();
  document.documentElement.dataset.renderMs = String(Math.round(performance.now() - started));
  document.documentElement.dataset.ready = 'true';
} catch (err) {
  document.documentElement.dataset.error = String(err && err.stack || err);
  throw err;
}

function main() {
  var D = JSON.parse(document.getElementById('report-data').textContent);
  var S = D.strings, LANES = D.lanes, EV = D.events, FO = D.folded, GAPS = D.gaps;
  var LANE_H = 22, GROUP_H = 20, AXIS_H = 22, ROW_H = 24, PAD = 10, HIT_PX = 4;
  var $ = function (id) { return document.getElementById(id); };

  // ---- lanes, grouped: the service, each workload with its owners and pods, other objects, nodes
  var laneEvents = LANES.map(function () { return []; });
  EV.forEach(function (e, i) { laneEvents[e[2]].push(i); });
  laneEvents.forEach(function (list) { list.sort(function (a, b) { return EV[a][0] - EV[b][0] || a - b; }); });
  var laneByKey = new Map(LANES.map(function (l, i) { return [l.key, i]; }));
  var groups = [], groupByKey = new Map();
  LANES.forEach(function (l, i) {
    var g = groupByKey.get(l.group);
    if (!g) { g = { key: l.group, lanes: [] }; groupByKey.set(l.group, g); groups.push(g); }
    g.lanes.push(i);
  });
  var rank = function (g) { return g.key === 'service' ? 0 : g.key === 'nodes' ? 3 : g.key === 'other' ? 2 : 1; };
  groups.sort(function (a, b) { return rank(a) - rank(b); });
  function groupLabel(g) {
    if (g.key === 'service') return 'Service';
    if (g.key === 'nodes') return 'Nodes';
    if (g.key === 'other') return 'Other objects';
    var l = LANES[laneByKey.get(g.key)];
    return l ? l.kind + ' ' + (l.namespace ? l.namespace + '/' : '') + l.name : g.key;
  }
  function laneName(l) { return (l.kind ? l.kind + ' ' : '') + l.name; }

  // A group is headed by its own lane (the workload, the service) when it has one, else by a caption.
  function headOf(g) {
    for (var k = 0; k < g.lanes.length; k++) {
      var l = LANES[g.lanes[k]];
      if (l.key === g.key || (g.key === 'service' && l.role === 'service')) return g.lanes[k];
    }
    return -1;
  }
  var rows = [], y = 0, laneY = [], laneOrdinal = [];
  groups.forEach(function (g) {
    var head = headOf(g), n = 0;
    var place = function (i) {
      rows.push({ lane: i, head: i === head, y: y, h: LANE_H, indent: i === head || head < 0 ? 0 : 1 });
      laneY[i] = y;
      laneOrdinal[i] = n++;
      y += LANE_H;
    };
    if (head >= 0) place(head);
    else {
      rows.push({ group: g, y: y, h: GROUP_H });
      y += GROUP_H;
    }
    g.lanes.forEach(function (i) { if (i !== head) place(i); });
  });
  var plotH = Math.max(y, 1);

  // ---- time domain: the window, widened to every record and gap so that each one gets its mark
  var dMin = 0, dMax = D.end;
  EV.forEach(function (e) { if (e[0] < dMin) dMin = e[0]; if (e[0] > dMax) dMax = e[0]; });
  GAPS.forEach(function (g) { if (g.from < dMin) dMin = g.from; if (g.to > dMax) dMax = g.to; });
  if (dMax <= dMin) dMax = dMin + 60000;
  var fullMin = dMin, fullMax = dMax; // [dMin, dMax] is what is in view: less when zoomed
  var W = 600;
  var xOf = function (t) { return PAD + (t - dMin) / (dMax - dMin) * (W - 2 * PAD); };
  var tOf = function (x) { return dMin + (x - PAD) / (W - 2 * PAD) * (dMax - dMin); };

  function esc(s) { return String(s).replace(/[&<>"']/g, function (c) { return '&#' + c.charCodeAt(0) + ';'; }); }
  function iso(t) { return new Date(D.t0 + t).toISOString(); }
  var multiDay = iso(dMin).slice(0, 10) !== iso(dMax).slice(0, 10);
  function clock(t) { var s = iso(t); return (multiDay ? s.slice(5, 10) + ' ' : '') + s.slice(11, 19); }
  function full(t) { var s = iso(t); return s.slice(0, 10) + ' ' + s.slice(11, 19) + ' UTC'; }
  function typeClass(type) { return type === 'Normal' ? 'normal' : type === 'Warning' ? 'warning' : 'other'; }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  }
  function debounce(fn, ms) { var t = 0; return function () { clearTimeout(t); t = setTimeout(fn, ms); }; }

  // ---- lane labels (HTML, so long names get an ellipsis)
  var labels = $('tl-labels');
  if (!LANES.length) {
    $('tl').hidden = true;
    $('tl').after(el('p', 'empty', 'No events in this window.'));
  }
  var corner = el('div', 'corner', 'UTC');
  corner.style.height = AXIS_H + 'px';
  labels.appendChild(corner);
  rows.forEach(function (r) {
    var d;
    if (r.group) {
      d = el('div', 'grp', groupLabel(r.group));
      d.title = groupLabel(r.group);
    } else {
      var l = LANES[r.lane];
      d = el('div', r.head ? 'lane head' : 'lane');
      d.style.paddingLeft = 8 + r.indent * 14 + 'px';
      d.title = l.key + ' (' + laneEvents[r.lane].length + ' records): click to list them';
      d.dataset.laneLabel = l.key;
      d.appendChild(el('span', 'kind', l.kind));
      d.appendChild(el('span', 'name', l.name));
      d.appendChild(el('span', 'n', String(laneEvents[r.lane].length)));
      d.addEventListener('click', function () { showLane(r.lane); });
    }
    d.style.height = r.h + 'px';
    labels.appendChild(d);
  });

  // ---- the time axis: ticks at round UTC steps, about one per 100 px
  var STEPS = [1e3, 2e3, 5e3, 1e4, 15e3, 3e4, 6e4, 12e4, 3e5, 6e5, 9e5, 18e5, 36e5, 72e5, 108e5, 216e5, 432e5, 864e5, 1728e5, 6048e5, 24192e5];
  function ticks() {
    var want = Math.max(2, Math.floor((W - 2 * PAD) / 100)), step = STEPS[STEPS.length - 1];
    for (var i = 0; i < STEPS.length; i++) if ((dMax - dMin) / STEPS[i] <= want) { step = STEPS[i]; break; }
    var out = [], prevDay = '';
    for (var a = Math.ceil((D.t0 + dMin) / step) * step; a <= D.t0 + dMax; a += step) {
      var s = new Date(a).toISOString(), day = s.slice(0, 10);
      var label = step >= 864e5 ? day : (multiDay && day !== prevDay ? s.slice(5, 10) + ' ' : '') + s.slice(11, step < 6e4 ? 19 : 16);
      prevDay = day;
      out.push({ t: a - D.t0, label: label });
    }
    return out;
  }

  // ---- drawing: one path per lane and type; gaps as spans across all lanes
  var plot = $('tl-plot'), svg = $('tl-svg'), axis = $('tl-axis');
  function draw() {
    W = Math.max(200, Math.floor(plot.clientWidth));
    var tk = ticks(), a = [], p = [];
    tk.forEach(function (t) {
      var x = xOf(t.t).toFixed(1);
      var anchor = xOf(t.t) < 30 ? 'start' : xOf(t.t) > W - 30 ? 'end' : 'middle';
      a.push('<line x1="' + x + '" x2="' + x + '" y1="' + (AXIS_H - 5) + '" y2="' + AXIS_H + '"/><text x="' + x + '" y="' + (AXIS_H - 8) + '" text-anchor="' + anchor + '">' + esc(t.label) + '</text>');
      p.push('<line class="grid" x1="' + x + '" x2="' + x + '" y1="0" y2="' + plotH + '"/>');
    });
    a.push('<line x1="0" x2="' + W + '" y1="' + (AXIS_H - 0.5) + '" y2="' + (AXIS_H - 0.5) + '"/>');
    axis.setAttribute('viewBox', '0 0 ' + W + ' ' + AXIS_H);
    axis.setAttribute('height', String(AXIS_H));
    axis.innerHTML = a.join('');
    var bands = [];
    rows.forEach(function (r) {
      if (r.group || r.head) bands.push('<line class="grp-line" x1="0" x2="' + W + '" y1="' + (r.y + 0.5) + '" y2="' + (r.y + 0.5) + '"/>');
      else if (laneOrdinal[r.lane] % 2 === 1) bands.push('<rect class="band" x="0" y="' + r.y + '" width="' + W + '" height="' + r.h + '"/>');
    });
    p = bands.concat(p);
    GAPS.forEach(function (g, i) {
      if (g.to < dMin || g.from > dMax) return;
      var x0 = Math.max(-1, xOf(g.from)), w = Math.max(3, Math.min(W + 1, xOf(g.to)) - x0);
      p.push('<rect class="gap" data-gap="' + i + '" x="' + x0.toFixed(1) + '" y="0" width="' + w.toFixed(1) + '" height="' + plotH + '"/>');
    });
    LANES.forEach(function (l, i) {
      var top = laneY[i] + 4, h = LANE_H - 8, d = { normal: [], other: [], warning: [] }, n = 0;
      laneEvents[i].forEach(function (k) {
        var e = EV[k];
        if (e[0] < dMin || e[0] > dMax) return;
        d[typeClass(S[e[3]])].push('M' + Math.round(xOf(e[0]) * 2) / 2 + ' ' + top + 'v' + h);
        n++;
      });
      p.push('<g data-lane="' + esc(l.key) + '" data-marks="' + n + '">');
      ['normal', 'other', 'warning'].forEach(function (c) { if (d[c].length) p.push('<path class="m-' + c + '" d="' + d[c].join('') + '"/>'); });
      p.push('</g>');
    });
    p.push('<line id="tl-cursor" class="cursor" x1="0" x2="0" y1="0" y2="' + plotH + '" visibility="hidden"/>');
    p.push('<rect id="tl-brush" class="brush" x="0" y="0" width="0" height="' + plotH + '" visibility="hidden"/>');
    svg.dataset.from = iso(dMin);
    svg.dataset.to = iso(dMax);
    $('zoom-reset').hidden = dMin === fullMin && dMax === fullMax;
    svg.setAttribute('viewBox', '0 0 ' + W + ' ' + plotH);
    svg.setAttribute('height', String(plotH));
    svg.innerHTML = p.join('');
  }

  // ---- tooltip: the records under the pointer (within a few pixels) on the lane under it, else the gap
  var tip = $('tip');
  function rowAt(py) {
    for (var i = rows.length - 1; i >= 0; i--) if (py >= rows[i].y) return rows[i];
    return null;
  }
  function hitsAt(lane, px) {
    var list = laneEvents[lane], tol = HIT_PX * (dMax - dMin) / (W - 2 * PAD), t = tOf(px);
    var lo = 0, hi = list.length;
    while (lo < hi) { var mid = (lo + hi) >> 1; if (EV[list[mid]][0] < t - tol) lo = mid + 1; else hi = mid; }
    var out = [];
    for (var i = lo; i < list.length && EV[list[i]][0] <= t + tol; i++) out.push(list[i]);
    out.sort(function (a, b) { return Math.abs(EV[a][0] - t) - Math.abs(EV[b][0] - t); });
    return out;
  }
  function eventTip(hits) {
    var e = EV[hits[0]], type = S[e[3]], l = LANES[e[2]];
    var h = '<b class="' + typeClass(type) + '">' + esc(type) + '</b> <b>' + esc(S[e[4]]) + '</b>' + (e[6] > 1 ? ' ×' + e[6] : '') +
      '<div class="t">' + esc(full(e[0])) + (e[1] !== e[0] ? ' (first ' + esc(clock(e[1])) + ')' : '') + '</div>' +
      '<div>' + esc(S[e[5]]) + '</div><div class="t">' + esc(laneName(l)) + '</div>';
    if (hits.length > 1) h += '<div class="more">+' + (hits.length - 1) + ' more here: click to list them</div>';
    return h;
  }
  function gapAt(px) {
    var t = tOf(px), tol = HIT_PX * (dMax - dMin) / (W - 2 * PAD);
    for (var i = 0; i < GAPS.length; i++) if (t >= GAPS[i].from - tol && t <= GAPS[i].to + tol) return GAPS[i];
    return null;
  }
  function pointer(ev) {
    var r = svg.getBoundingClientRect(), px = ev.clientX - r.left, row = rowAt(ev.clientY - r.top);
    var hits = row && row.lane !== undefined ? hitsAt(row.lane, px) : [];
    return { px: px, row: row, hits: hits };
  }
  svg.addEventListener('mousemove', function (ev) {
    var at = pointer(ev), html = '';
    if (at.hits.length) html = eventTip(at.hits);
    else {
      var g = gapAt(at.px);
      if (g) html = '<b>Gap</b>: events may be missing<div class="t">' + esc(full(g.from)) + ' → ' + esc(clock(g.to)) + '</div><div>' + esc(g.message) + '</div>';
    }
    if (!html) { tip.hidden = true; return; }
    tip.innerHTML = html;
    tip.hidden = false;
    var tw = tip.offsetWidth, th = tip.offsetHeight;
    var left = ev.clientX + 14 + tw > window.innerWidth ? ev.clientX - 14 - tw : ev.clientX + 14;
    var top = ev.clientY + 14 + th > window.innerHeight ? ev.clientY - 14 - th : ev.clientY + 14;
    tip.style.left = Math.max(0, left) + 'px';
    tip.style.top = Math.max(0, top) + 'px';
  });
  svg.addEventListener('mouseleave', function () { tip.hidden = true; });
  svg.addEventListener('click', function (ev) {
    if (dragged) { dragged = false; return; }
    var at = pointer(ev);
    if (at.hits.length) showLane(at.row.lane, EV[at.hits[0]][0]);
  });

  // ---- zoom: drag across the plot to see that stretch; the button or a double click shows it all again
  var drag = null, dragged = false;
  svg.addEventListener('mousedown', function (ev) {
    if (ev.button !== 0) return;
    drag = { x0: pointer(ev).px, x1: 0 };
    dragged = false;
    ev.preventDefault();
  });
  window.addEventListener('mousemove', function (ev) {
    if (!drag) return;
    var x = Math.max(0, Math.min(W, ev.clientX - svg.getBoundingClientRect().left));
    if (!dragged && Math.abs(x - drag.x0) < 4) return;
    dragged = true;
    drag.x1 = x;
    tip.hidden = true;
    var b = $('tl-brush');
    b.setAttribute('x', String(Math.min(drag.x0, x)));
    b.setAttribute('width', String(Math.abs(x - drag.x0)));
    b.setAttribute('visibility', 'visible');
  });
  window.addEventListener('mouseup', function () {
    var d = drag;
    drag = null;
    if (d && dragged) zoom(tOf(Math.min(d.x0, d.x1)), tOf(Math.max(d.x0, d.x1)));
  });
  function zoom(from, to) {
    if (to - from < 1000) { from = (from + to) / 2 - 500; to = from + 1000; }
    dMin = Math.max(fullMin, from);
    dMax = Math.min(fullMax, to);
    draw();
  }
  function unzoom() { zoom(fullMin, fullMax); }
  $('zoom-reset').addEventListener('click', unzoom);
  svg.addEventListener('dblclick', unzoom);

  // ---- the event list: folded entries or all records, filtered, only the rows in view built
  var list = $('event-list'), body = $('list-body'), q = $('q'), warnOnly = $('warn-only'), laneSel = $('lane-filter'), modeSel = $('mode');
  groups.forEach(function (g) {
    var og = document.createElement('optgroup');
    og.label = groupLabel(g);
    g.lanes.forEach(function (i) {
      var o = el('option', null, laneName(LANES[i]) + ' (' + laneEvents[i].length + ')');
      o.value = String(i);
      og.appendChild(o);
    });
    laneSel.appendChild(og);
  });
  var entries = {
    all: EV.map(function (e) { return { lane: e[2], type: e[3], reason: e[4], message: e[5], count: e[6], records: 1, first: e[1], last: e[0], at: e[0] }; }),
    folded: FO.map(function (f) { return { lane: f[0], type: f[1], reason: f[2], message: f[3], count: f[4], records: f[5], first: f[6], last: f[7], at: f[6] }; }),
  };
  var lowerS = [], lowerKey = [];
  var lower = function (i) { return lowerS[i] === undefined ? (lowerS[i] = S[i].toLowerCase()) : lowerS[i]; };
  var laneLower = function (i) { return lowerKey[i] === undefined ? (lowerKey[i] = (LANES[i].key + '\n' + laneName(LANES[i])).toLowerCase()) : lowerKey[i]; };
  var view = [], shown = null;

  function applyFilter(scrollTo) {
    var src = entries[modeSel.value], needle = q.value.trim().toLowerCase(), warn = warnOnly.checked, lane = laneSel.value === '' ? -1 : Number(laneSel.value);
    view = [];
    for (var i = 0; i < src.length; i++) {
      var e = src[i];
      if (warn && S[e.type] !== 'Warning') continue;
      if (lane >= 0 && e.lane !== lane) continue;
      if (needle && lower(e.reason).indexOf(needle) < 0 && lower(e.message).indexOf(needle) < 0 && laneLower(e.lane).indexOf(needle) < 0) continue;
      view.push(i);
    }
    body.style.height = view.length * ROW_H + 'px';
    list.dataset.rows = String(view.length);
    $('row-count').textContent = view.length.toLocaleString('en-US') + ' of ' + src.length.toLocaleString('en-US') + (modeSel.value === 'all' ? ' records' : ' folded entries');
    var row = 0;
    if (scrollTo !== undefined) while (row < view.length - 1 && src[view[row]].at < scrollTo) row++;
    list.scrollTop = Math.max(0, (row - 2) * ROW_H);
    shown = null;
    renderRows();
  }
  function rowEl(e, i) {
    var type = S[e.type], l = LANES[e.lane], r = el('div', 'row ' + typeClass(type));
    r.dataset.role = 'event-row';
    r.style.top = i * ROW_H + 'px';
    var time = clock(e.first) + (e.last !== e.first ? ' → ' + clock(e.last) : '');
    var c = el('span', 'c-time', time);
    c.title = full(e.first) + (e.last !== e.first ? ' → ' + full(e.last) : '');
    r.appendChild(c);
    c = el('span', 'c-object', laneName(l));
    c.title = l.key;
    r.appendChild(c);
    c = el('span', 'c-reason', S[e.reason]);
    c.title = type + ': ' + S[e.reason];
    r.appendChild(c);
    c = el('span', 'c-message', S[e.message]);
    c.title = S[e.message];
    r.appendChild(c);
    c = el('span', 'c-n', String(e.count));
    c.title = e.count + ' occurrences' + (e.records > 1 ? ' in ' + e.records + ' records' : '');
    r.appendChild(c);
    r.addEventListener('click', function () { cursor(e); });
    return r;
  }
  function renderRows() {
    var top = list.scrollTop, h = list.clientHeight || 480;
    var from = Math.max(0, Math.floor(top / ROW_H) - 10), to = Math.min(view.length, Math.ceil((top + h) / ROW_H) + 10);
    if (shown && shown[0] === from && shown[1] === to) return;
    shown = [from, to];
    var src = entries[modeSel.value], frag = document.createDocumentFragment();
    for (var i = from; i < to; i++) frag.appendChild(rowEl(src[view[i]], i));
    if (!view.length) frag.appendChild(el('p', 'empty', 'No events match.'));
    body.replaceChildren(frag);
  }
  function cursor(e) {
    var line = $('tl-cursor'), x = (xOf(e.first) + xOf(e.last)) / 2;
    if (!line) return;
    line.setAttribute('x1', String(x));
    line.setAttribute('x2', String(x));
    line.setAttribute('visibility', 'visible');
  }
  function showLane(lane, at) {
    laneSel.value = String(lane);
    if (at !== undefined) modeSel.value = 'all';
    applyFilter(at);
  }
  var scrolling = false;
  list.addEventListener('scroll', function () {
    if (scrolling) return;
    scrolling = true;
    requestAnimationFrame(function () { scrolling = false; renderRows(); });
  });
  q.addEventListener('input', debounce(function () { applyFilter(); }, 150));
  [warnOnly, laneSel, modeSel].forEach(function (c) { c.addEventListener('change', function () { applyFilter(); }); });
  Array.prototype.forEach.call(document.querySelectorAll('[data-reason]'), function (b) {
    b.addEventListener('click', function () { q.value = b.dataset.reason; applyFilter(); });
  });
  var redraw = debounce(function () { if (Math.floor(plot.clientWidth) !== W) draw(); }, 100);
  window.addEventListener('resize', redraw);

  draw();
  applyFilter();
}
})();
`;
