// The record's charts, drawn as SVG: both Parties' figures for one limit over time, each
// point drawn by where it comes from (published: filled; derived: hollow; modelled: dashed
// with squares; withheld: a shaded band with no value; unsourced: a "?" on the axis), the
// limit (dashed red, from the day it binds), the milestones numbered along the top. Every
// point with a value is focusable and shows its value on hover and on focus. Styles are
// attributes, not classes, so that the SVG downloaded stands alone.
'use strict';

const NS = 'http://www.w3.org/2000/svg';
const COLOUR = { US: '#1f5fa8', RU: '#a14a00' };
const W = 760;
const H = 320;
const PAD = { l: 52, r: 16, t: 28, b: 34 };

function s(tag, attrs = {}, text) {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}
const day = (d) => Date.parse(d + 'T00:00:00Z');

/** The chart of one limit: `series` are the record's series of that limit (one per Party). */
export function chart({ limit, series, milestones, t, lang }) {
  const all = series.flatMap((x) => x.points);
  const x0 = day('2011-01-01');
  const x1 = day('2026-07-01');
  const values = all.map((p) => p.value ?? p.modelled ?? 0);
  const yMax = Math.ceil(Math.max(limit.value, ...values) * 1.12 / 100) * 100;
  const X = (d) => PAD.l + ((day(d) - x0) / (x1 - x0)) * (W - PAD.l - PAD.r);
  const Y = (v) => H - PAD.b - (v / yMax) * (H - PAD.t - PAD.b);
  const fmt = (n) => Number(n).toLocaleString(lang === 'ru' ? 'ru-RU' : 'en-US');
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, role: 'group', 'aria-label': t('chart.label', { title: limit.title, limit: fmt(limit.value) }), 'font-family': 'system-ui, sans-serif', 'font-size': 11 });
  svg.appendChild(s('rect', { x: 0, y: 0, width: W, height: H, fill: '#ffffff' }));
  // Axes and grid.
  for (let v = 0; v <= yMax; v += yMax > 1200 ? 500 : 200) {
    svg.appendChild(s('line', { x1: PAD.l, x2: W - PAD.r, y1: Y(v), y2: Y(v), stroke: '#e2e2e2' }));
    svg.appendChild(s('text', { x: PAD.l - 6, y: Y(v) + 4, 'text-anchor': 'end', fill: '#4a4a4a' }, fmt(v)));
  }
  for (let y = 2011; y <= 2026; y++) {
    const x = X(`${y}-01-01`);
    svg.appendChild(s('line', { x1: x, x2: x, y1: H - PAD.b, y2: H - PAD.b + 4, stroke: '#767676' }));
    if (y % 2 === 1) svg.appendChild(s('text', { x, y: H - PAD.b + 16, 'text-anchor': 'middle', fill: '#4a4a4a' }, String(y)));
  }
  svg.appendChild(s('line', { x1: PAD.l, x2: W - PAD.r, y1: H - PAD.b, y2: H - PAD.b, stroke: '#767676' }));
  // Withheld: a band per Party along the bottom, over the dates its data were withheld.
  series.forEach((ser, k) => {
    const pts = ser.points;
    const first = pts.find((p) => p.basis === 'withheld');
    if (first) {
      svg.appendChild(s('text', { x: X(first.as_of) - 4, y: H - PAD.b - 2 - k * 11, 'text-anchor': 'end', fill: '#4a4a4a', 'font-size': 9 }, `${ser.party}: ${t('basis.withheld')}`));
    }
    pts.forEach((p, i) => {
      if (p.basis !== 'withheld') return;
      const next = pts[i + 1]?.as_of ?? '2026-02-05';
      const g = s('rect', { x: X(p.as_of), y: H - PAD.b - 10 - k * 11, width: Math.max(2, X(next) - X(p.as_of)), height: 9, fill: '#e9e2d6', 'data-basis': 'withheld', 'data-party': ser.party, 'data-date': p.as_of });
      g.appendChild(s('title', {}, `${ser.party} ${p.as_of}: ${t('basis.withheld')}`));
      svg.appendChild(g);
    });
  });
  // The limit, dashed, from the day it binds (lighter before).
  const bx = X(limit.binding_from);
  svg.appendChild(s('line', { x1: PAD.l, x2: bx, y1: Y(limit.value), y2: Y(limit.value), stroke: '#a40000', 'stroke-opacity': 0.35, 'stroke-dasharray': '6 3', 'stroke-width': 1.5 }));
  svg.appendChild(s('line', { x1: bx, x2: W - PAD.r, y1: Y(limit.value), y2: Y(limit.value), stroke: '#a40000', 'stroke-dasharray': '6 3', 'stroke-width': 2, 'data-limit': limit.value }));
  svg.appendChild(s('text', { x: bx + 4, y: Y(limit.value) - 5, fill: '#a40000' }, t('chart.binding', { value: fmt(limit.value), date: limit.binding_from })));
  // Milestones, numbered as in the list below the charts.
  milestones.forEach((m, i) => {
    const x = X(m.date);
    if (x < PAD.l || x > W - PAD.r) return;
    svg.appendChild(s('line', { x1: x, x2: x, y1: PAD.t - 6, y2: H - PAD.b, stroke: '#767676', 'stroke-dasharray': m.precision === 'day' ? '2 3' : '1 5' }));
    const label = s('text', { x, y: PAD.t - 10 - (i % 2) * 10, 'text-anchor': 'middle', fill: '#1b1b1b', 'font-weight': 600, 'data-milestone': m.kind }, String(i + 1));
    label.appendChild(s('title', {}, `${m.date}: ${m.title}`));
    svg.appendChild(label);
  });
  // Lines: solid through published and derived figures (a gap where nothing was published),
  // dashed through modelled ones.
  for (const ser of series) {
    const c = COLOUR[ser.party] ?? '#1b1b1b';
    // Draws a run of two points or more; returns an empty run.
    const line = (run, dashed) => {
      if (run.length > 1) {
        svg.appendChild(s('polyline', dashed
          ? { points: run.join(' '), fill: 'none', stroke: c, 'stroke-width': 1.5, 'stroke-dasharray': '4 4' }
          : { points: run.join(' '), fill: 'none', stroke: c, 'stroke-width': 2.5 }));
      }
      return [];
    };
    let solid = [];
    let dashed = [];
    let prevKnown = null;
    for (const p of ser.points) {
      if (p.value !== null) {
        const pt = `${X(p.as_of).toFixed(1)},${Y(p.value).toFixed(1)}`;
        solid.push(pt);
        if (dashed.length) { dashed.push(pt); dashed = line(dashed, true); }
        prevKnown = pt;
      } else {
        solid = line(solid, false);
        if (p.basis === 'modelled' && p.modelled !== undefined) {
          if (!dashed.length && prevKnown) dashed.push(prevKnown);
          dashed.push(`${X(p.as_of).toFixed(1)},${Y(p.modelled).toFixed(1)}`);
        } else {
          dashed = line(dashed, true);
          prevKnown = null;
        }
      }
    }
    line(solid, false);
    line(dashed, true);
  }
  // Points.
  const tipText = (ser, p) => {
    const v = p.value ?? p.modelled;
    const margin = limit.value - v;
    return t('chart.point', { party: ser.party, date: p.as_of, value: fmt(v), basis: t('basis.' + p.basis), margin: (margin >= 0 ? '+' : '−') + fmt(Math.abs(margin)) });
  };
  for (const ser of series) {
    const c = COLOUR[ser.party] ?? '#1b1b1b';
    for (const p of ser.points) {
      let m = null;
      const common = { tabindex: 0, 'data-party': ser.party, 'data-date': p.as_of, 'data-basis': p.basis, 'data-limit-name': limit.name };
      if (p.basis === 'published' || p.basis === 'derived') {
        m = s('circle', { ...common, cx: X(p.as_of), cy: Y(p.value), r: 4, fill: p.basis === 'published' ? c : '#ffffff', stroke: c, 'stroke-width': 1.8, 'data-value': p.value });
      } else if (p.basis === 'modelled' && p.modelled !== undefined) {
        m = s('rect', { ...common, x: X(p.as_of) - 3, y: Y(p.modelled) - 3, width: 6, height: 6, fill: '#ffffff', stroke: c, 'stroke-width': 1.5, 'data-modelled': p.modelled });
      } else if (p.basis === 'unsourced') {
        m = s('text', { ...common, x: X(p.as_of), y: H - PAD.b - 2 - (ser.party === 'RU' ? 11 : 0), 'text-anchor': 'middle', fill: c, 'font-weight': 700 }, '?');
      }
      if (!m) continue;
      const label = p.basis === 'unsourced' ? `${ser.party} ${p.as_of}: ${t('basis.unsourced')}` : tipText(ser, p);
      m.setAttribute('aria-label', label);
      m.setAttribute('role', 'img');
      m.appendChild(s('title', {}, label));
      svg.appendChild(m);
    }
  }
  // Hover and keyboard: one tooltip, placed over the point.
  const show = (e) => {
    const target = e.target.closest('[data-date][aria-label]');
    const box = svg.closest('.chart');
    if (!target || !box) return;
    let tip = box.querySelector('.tip');
    if (!tip) { tip = document.createElement('div'); tip.className = 'tip'; tip.setAttribute('role', 'status'); box.appendChild(tip); }
    tip.textContent = target.getAttribute('aria-label');
    const r = target.getBoundingClientRect();
    const b = box.getBoundingClientRect();
    tip.style.left = `${Math.max(0, Math.min(b.width - 220, r.left - b.left - 60))}px`;
    tip.style.top = `${r.top - b.top - 30}px`;
    tip.hidden = false;
  };
  const hide = () => { const tip = svg.closest('.chart')?.querySelector('.tip'); if (tip) tip.hidden = true; };
  svg.addEventListener('mouseover', show);
  svg.addEventListener('focusin', show);
  svg.addEventListener('mouseout', hide);
  svg.addEventListener('focusout', hide);
  return svg;
}

/** The series of one limit as CSV (one row per Party and date). */
export function csvOf(limit, series) {
  const rows = [['as_of', 'party', 'limit', 'limit_value', 'value', 'basis', 'modelled', 'source']];
  for (const ser of series) {
    for (const p of ser.points) rows.push([p.as_of, ser.party, limit.name, limit.value, p.value ?? '', p.basis, p.modelled ?? '', p.source ?? '']);
  }
  return rows.map((r) => r.map((c) => (/[",\n]/.test(String(c)) ? `"${String(c).replace(/"/g, '""')}"` : String(c))).join(',')).join('\n') + '\n';
}

/** The chart as a standalone SVG file. */
export function svgOf(svg) {
  const copy = svg.cloneNode(true);
  copy.setAttribute('xmlns', NS);
  copy.setAttribute('width', W);
  copy.setAttribute('height', H);
  return '<?xml version="1.0" encoding="UTF-8"?>\n' + new XMLSerializer().serializeToString(copy);
}
