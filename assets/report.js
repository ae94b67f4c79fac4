(function () {
'use strict';
var body = document.body;
var errors = document.getElementById('script-errors');
window.addEventListener('error', function (e) {
  errors.hidden = false;
  errors.textContent += 'script error: ' + e.message + '\n';
  body.setAttribute('data-ready', 'error');
});
var report = JSON.parse(document.getElementById('report-json').textContent);
var movedEl = document.getElementById('moved-json');
var moved = movedEl ? JSON.parse(movedEl.textContent) : {};
var words = JSON.parse(document.getElementById('words-json').textContent);
var logsEl = document.getElementById('logs-json');
var logs = logsEl ? JSON.parse(logsEl.textContent) : null;
var svg = document.getElementById('chart');
var details = document.getElementById('details');
var NS = 'http://www.w3.org/2000/svg';
if (!svg || !svg.getAttribute('data-x0')) { body.setAttribute('data-ready', 'ok'); return; }
var X0 = +svg.getAttribute('data-x0'), X1 = +svg.getAttribute('data-x1');
var END = +svg.getAttribute('data-end');
var vb = svg.viewBox.baseVal;
var ticks = document.getElementById('ticks');
var first = ticks.querySelector('line');
var TOP = first ? +first.getAttribute('y1') : 0, BOTTOM = first ? +first.getAttribute('y2') : 0;
var shapes = Array.prototype.map.call(svg.querySelectorAll('[data-t]'), function (el) {
  var p = el.getAttribute('data-t').split(' ');
  return [el, +p[0], +p[1]];
});
var winners = Array.prototype.slice.call(svg.querySelectorAll('[data-after]'));
var view = [0, END];

function x(t) { return X0 + (t - view[0]) / (view[1] - view[0]) * (X1 - X0); }
// A tick's label: chart::words::tick_label's rule, ported for the zoom (milliseconds below a
// 0.01 s step, else as many decimals as the step needs). The two must agree.
function tickLabel(t, step) {
  if (step < 0.01) return (t * 1e3).toFixed(0) + 'ms';
  return t.toFixed(step >= 1 ? 0 : step >= 0.1 ? 1 : 2) + 's';
}
// chart::words::tick_step: 1, 2 or 5 × 10^k seconds, at least 80 px apart. The two must agree.
function tickStep() {
  var min = (view[1] - view[0]) / (X1 - X0) * 80, s = 0.001;
  for (var i = 0; i < 40; i++) {
    if (s >= min) return s;
    if (2 * s >= min) return 2 * s;
    if (5 * s >= min) return 5 * s;
    s *= 10;
  }
  return s;
}
function drawTicks() {
  while (ticks.firstChild) ticks.removeChild(ticks.firstChild);
  var step = tickStep();
  for (var t = Math.ceil(view[0] / step) * step; t <= view[1] + 1e-9; t += step) {
    var px = x(t).toFixed(1);
    var l = document.createElementNS(NS, 'line');
    l.setAttribute('x1', px); l.setAttribute('x2', px);
    l.setAttribute('y1', TOP); l.setAttribute('y2', BOTTOM);
    l.setAttribute('stroke', getComputedStyle(body).getPropertyValue('--grid'));
    ticks.appendChild(l);
    var s = document.createElementNS(NS, 'text');
    s.setAttribute('x', px); s.setAttribute('y', TOP - 4); s.setAttribute('text-anchor', 'middle');
    s.textContent = tickLabel(t, step);
    ticks.appendChild(s);
  }
}
function draw() {
  for (var i = 0; i < shapes.length; i++) {
    var e = shapes[i], a = x(e[1]);
    e[0].setAttribute('x', a.toFixed(1));
    e[0].setAttribute('width', Math.max(2, x(e[2]) - a).toFixed(1));
  }
  winners.forEach(function (w) {
    var a = x(+w.getAttribute('data-after')) + 6;
    w.setAttribute('x', a.toFixed(1));
    w.setAttribute('text-anchor', 'start');
    w.style.display = a > X0 && a < X1 ? '' : 'none';
  });
  drawTicks();
  document.getElementById('window').textContent =
    view[0].toFixed(2) + 's–' + view[1].toFixed(2) + 's of ' + END.toFixed(2) + 's';
}
function setView(a, b) {
  var span = Math.min(END, Math.max(b - a, Math.min(0.001, END)));
  a = Math.max(0, Math.min(a, END - span));
  view = [a, a + span];
  draw();
  saveHash();
}
function zoom(f, at) {
  if (at === undefined) at = (view[0] + view[1]) / 2;
  setView(at - (at - view[0]) * f, at + (view[1] - at) * f);
}
function svgX(ev) {
  var r = svg.getBoundingClientRect();
  return vb.x + (ev.clientX - r.left) * vb.width / r.width;
}
function timeAt(px) { return view[0] + (px - X0) / (X1 - X0) * (view[1] - view[0]); }

svg.addEventListener('wheel', function (ev) {
  ev.preventDefault();
  var px = Math.min(X1, Math.max(X0, svgX(ev)));
  zoom(Math.exp(ev.deltaY * 0.0015), timeAt(px));
}, { passive: false });
var drag = null;
svg.addEventListener('mousedown', function (ev) {
  drag = { x: svgX(ev), view: view.slice(), moved: false };
});
window.addEventListener('mousemove', function (ev) {
  if (!drag) return;
  var dx = svgX(ev) - drag.x;
  if (Math.abs(dx) > 3) { drag.moved = true; svg.classList.add('dragging'); }
  if (drag.moved) {
    var dt = dx / (X1 - X0) * (drag.view[1] - drag.view[0]);
    setView(drag.view[0] - dt, drag.view[1] - dt);
  }
});
window.addEventListener('mouseup', function () { svg.classList.remove('dragging'); setTimeout(function () { drag = null; }, 0); });
svg.addEventListener('click', function (ev) {
  if (drag && drag.moved) return;
  var row = ev.target.closest ? ev.target.closest('g.row') : null;
  if (!row) return;
  if (row.hasAttribute('data-step')) select(+row.getAttribute('data-step'));
  else if (row.hasAttribute('data-stage')) selectStage(row.getAttribute('data-stage'));
  else return;
  if (details.scrollIntoView) details.scrollIntoView({ block: 'nearest' });
});
document.getElementById('zoom-in').onclick = function () { zoom(0.5); };
document.getElementById('zoom-out').onclick = function () { zoom(2); };
document.getElementById('zoom-fit').onclick = function () { setView(0, END); };
document.addEventListener('keydown', function (ev) {
  if (ev.target && /INPUT|TEXTAREA/.test(ev.target.tagName)) return;
  var span = view[1] - view[0];
  if (ev.key === '+' || ev.key === '=') zoom(0.5);
  else if (ev.key === '-') zoom(2);
  else if (ev.key === '0') setView(0, END);
  else if (ev.key === 'ArrowLeft') setView(view[0] - span / 10, view[1] - span / 10);
  else if (ev.key === 'ArrowRight') setView(view[0] + span / 10, view[1] + span / 10);
  else if (ev.key === 'Escape') select(null);
});

var selected = null;
function el(tag, text, cls) {
  var e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}
function stepLink(id, text) {
  var a = el('a', text || report.steps[id].name);
  a.href = '#step=' + id;
  a.onclick = function (ev) { ev.preventDefault(); select(id); };
  return a;
}
function addRow(table, key, value) {
  var tr = el('tr');
  tr.appendChild(el('td', key));
  var td = el('td');
  if (typeof value === 'string') td.textContent = value; else td.appendChild(value);
  tr.appendChild(td);
  table.appendChild(tr);
}
// `text` in a red span, its first `name` a link to step `id`.
function linked(text, name, id) {
  var span = el('span', '', 'red'), at = text.indexOf(name);
  if (at < 0) { span.textContent = text; return span; }
  span.appendChild(document.createTextNode(text.slice(0, at)));
  span.appendChild(stepLink(id, name));
  span.appendChild(document.createTextNode(text.slice(at + name.length)));
  return span;
}
function mark(find) {
  Array.prototype.forEach.call(svg.querySelectorAll('g.row.selected'), function (g) { g.classList.remove('selected'); });
  var g = find && svg.querySelector(find);
  if (g) g.classList.add('selected');
}
function select(id) {
  selected = id;
  if (id === null || !report.steps[id]) { details.hidden = true; mark(null); saveHash(); return; }
  var s = report.steps[id];
  mark('g.row[data-step="' + id + '"]');
  details.hidden = false;
  details.textContent = '';
  details.appendChild(el('h2', s.name));
  var t = el('table');
  addRow(t, 'stage', s.stage || '(BuildKit internal)');
  addRow(t, 'state', s.state);
  // Every sentence and duration below is the chart's (chart::words, via words-json).
  var said = words.steps[id] || { times: [], alongside: [], stale: [] };
  said.times.forEach(function (r) { addRow(t, r[0], r[1]); });
  if (s.inputs.length) {
    var ins = el('span');
    s.inputs.forEach(function (i, n) { if (n) ins.appendChild(document.createTextNode(', ')); ins.appendChild(stepLink(i)); });
    addRow(t, 'waits for', ins);
  }
  s.cache_mounts.forEach(function (m) {
    addRow(t, 'cache mount', (m.id || m.target) + ' at ' + m.target + (m.sharing ? ' (sharing=' + m.sharing + ')' : ''));
  });
  if (s.error) addRow(t, 'error', s.error);
  if (moved[id]) addRow(t, 'moved', moved[id]);
  said.alongside.forEach(function (p) { addRow(t, 'alongside', linked(p.text, p.name, p.step)); });
  report.hazards.forEach(function (h, i) {
    if (h.writer !== id && h.reader !== id) return;
    addRow(t, 'cache hazard', words.hazards[i][h.writer === id ? 0 : 1] + '. ' + h.explanation);
  });
  said.stale.forEach(function (line) { addRow(t, 'stale cache', line); });
  details.appendChild(t);
  var log = logs ? logs[id] : null;
  if (!logs) {
    details.appendChild(el('p', 'Output left out (--no-logs).', 'dim'));
  } else if (!log) {
    details.appendChild(el('p', 'No output.', 'dim'));
  } else {
    var pre = el('pre', null, 'log');
    pre.id = 'log';
    if (log.dropped > 0) pre.appendChild(el('span', '… the first ' + log.dropped + ' of ' + log.total + ' bytes are not kept\n', 'dim'));
    log.lines.forEach(function (l) { pre.appendChild(el('span', l[1] + '\n', l[0] === 2 ? 'err' : '')); });
    details.appendChild(pre);
  }
  saveHash();
}
function selectStage(name) {
  var st = report.stages.filter(function (s) { return s.name === name; })[0];
  if (!st) return;
  selected = null;
  mark('g.row[data-stage="' + name.replace(/"/g, '\\"') + '"]');
  details.hidden = false;
  details.textContent = '';
  details.appendChild(el('h2', 'stage ' + st.name));
  var t = el('table');
  if (words.stage_times[name]) addRow(t, 'active', words.stage_times[name]);
  var steps = el('span');
  st.steps.forEach(function (i, n) { if (n) steps.appendChild(document.createTextNode(', ')); steps.appendChild(stepLink(i)); });
  addRow(t, 'steps', steps);
  (words.stages[name] || []).forEach(function (said) { addRow(t, 'alongside', el('span', said, 'red')); });
  details.appendChild(t);
}
function saveHash() {
  var parts = [];
  if (selected !== null) parts.push('step=' + selected);
  if (view[0] > 0 || view[1] < END) parts.push('t=' + view[0].toFixed(3) + '-' + view[1].toFixed(3));
  var h = parts.length ? '#' + parts.join('&') : ' ';
  if (history.replaceState) history.replaceState(null, '', h === ' ' ? location.pathname + location.search : h);
}
function readHash() {
  var h = location.hash.replace(/^#/, '');
  var step = null, t = null;
  h.split('&').forEach(function (kv) {
    var p = kv.split('=');
    if (p[0] === 'step' && /^\d+$/.test(p[1] || '')) step = +p[1];
    if (p[0] === 't') { var m = /^([\d.]+)-([\d.]+)$/.exec(p[1] || ''); if (m && +m[2] > +m[1]) t = [+m[1], +m[2]]; }
  });
  if (t) { view = [Math.max(0, t[0]), Math.min(END, t[1])]; }
  draw();
  select(step);
}
window.addEventListener('hashchange', readHash);
readHash();
body.setAttribute('data-ready', 'ok');
})();
