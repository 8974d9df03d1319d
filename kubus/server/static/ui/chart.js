// Bar and line charts in hand-written SVG, drawn from the same pivot as the table.

import { esc, formatValue, displayRows } from './pivot.js';
import { isTime } from './model.js';

const WIDTH = 520;
const HEIGHT = 300;
const M = { top: 16, right: 12, bottom: 64, left: 64 };
const MAX_POINTS = 60;
const MAX_SERIES = 8;

function niceStep(span) {
  const raw = span / 5;
  const power = 10 ** Math.floor(Math.log10(raw || 1));
  const n = raw / power;
  return (n <= 1 ? 1 : n <= 2 ? 2 : n <= 5 ? 5 : 10) * power;
}

// {kind, aggregate, categories: [label], series: [{name, values: [number|null]}], hidden}
export function chartData(pivot, model, view) {
  const aggregate = pivot.aggregates.includes(view.sort) ? view.sort : pivot.aggregates[0];
  const R = pivot.rows.length;
  let categories;
  let series;
  let axisItem;
  if (R) {
    axisItem = pivot.rows[R - 1];
    const leaves = displayRows(pivot).filter((r) => r.kind === 'leaf').map((r) => r.node);
    // Time runs left to right in its natural order, whatever the table is sorted by.
    if (isTime(axisItem.dim)) leaves.sort((a, b) => a.seq - b.seq);
    const shown = leaves.slice(0, MAX_POINTS);
    categories = shown.map((n) => n.members.map((m) => m.label).join(' / '));
    if (pivot.colTuples.length && pivot.colTuples.length <= MAX_SERIES) {
      series = pivot.colTuples.map((t) => ({
        name: t.members.map((m) => m.label).join(' / '),
        values: shown.map((n) => { const c = n.values.get(t.id); return c ? c[aggregate] : null; }),
      }));
    } else {
      series = [{ name: 'Total', values: shown.map((n) => (n.total ? n.total[aggregate] : null)) }];
    }
    return { aggregate, categories, series, axisItem, hidden: leaves.length - shown.length };
  }
  if (!pivot.colTuples.length) return null;
  const shown = pivot.colTuples.slice(0, MAX_POINTS);
  categories = shown.map((t) => t.members.map((m) => m.label).join(' / '));
  series = [{ name: 'Total', values: shown.map((t) => { const c = pivot.root.values.get(t.id); return c ? c[aggregate] : null; }) }];
  axisItem = pivot.cols[pivot.cols.length - 1];
  return { aggregate, categories, series, axisItem, hidden: pivot.colTuples.length - shown.length };
}

export function chartKind(data, choice) {
  if (choice === 'bar' || choice === 'line') return choice;
  return isTime(data.axisItem.dim) ? 'line' : 'bar';
}

export function renderChart(data, kind, model) {
  const values = data.series.flatMap((s) => s.values).filter((v) => typeof v === 'number');
  const lo = Math.min(0, ...values);
  const hi = Math.max(0, ...values);
  const step = niceStep(hi - lo);
  const y0 = Math.floor(lo / step) * step;
  const y1 = Math.ceil(hi / step) * step || step;
  const w = WIDTH - M.left - M.right;
  const h = HEIGHT - M.top - M.bottom;
  const y = (v) => M.top + h - ((v - y0) / (y1 - y0)) * h;
  const n = data.categories.length;
  const band = w / Math.max(n, 1);
  const x = (i) => M.left + band * (i + 0.5);
  const title = `${model.aggregateLabel(data.aggregate)} by ${data.axisItem.level.label || data.axisItem.level.name}`;
  const parts = [`<svg viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="${esc(kind)} chart: ${esc(title)}" class="chart-svg ${kind}">`];
  for (let v = y0; v <= y1 + step / 2; v += step) {
    parts.push(`<line class="grid" x1="${M.left}" x2="${WIDTH - M.right}" y1="${y(v)}" y2="${y(v)}"/>`);
    parts.push(`<text class="tick" x="${M.left - 6}" y="${y(v) + 4}" text-anchor="end">${esc(formatValue(v))}</text>`);
  }
  const every = Math.ceil(n / 16);
  data.categories.forEach((c, i) => {
    if (i % every) return;
    const label = c.length > 14 ? `${c.slice(0, 13)}…` : c;
    parts.push(`<text class="tick" transform="translate(${x(i)},${M.top + h + 12}) rotate(35)" text-anchor="start">${esc(label)}</text>`);
  });
  const S = data.series.length;
  data.series.forEach((s, si) => {
    if (kind === 'bar') {
      const bw = (band * 0.8) / S;
      s.values.forEach((v, i) => {
        if (typeof v !== 'number') return;
        const top = Math.min(y(v), y(0));
        const left = M.left + band * i + band * 0.1 + bw * si;
        parts.push(`<rect class="s${si % MAX_SERIES}" x="${left}" y="${top}" width="${Math.max(bw - 1, 1)}" height="${Math.abs(y(v) - y(0))}"><title>${esc(data.categories[i])}, ${esc(s.name)}: ${esc(formatValue(v))}</title></rect>`);
      });
    } else {
      const points = s.values.map((v, i) => (typeof v === 'number' ? `${x(i)},${y(v)}` : null)).filter(Boolean);
      parts.push(`<polyline class="line s${si % MAX_SERIES}" points="${points.join(' ')}"/>`);
      s.values.forEach((v, i) => {
        if (typeof v !== 'number') return;
        parts.push(`<circle class="s${si % MAX_SERIES}" cx="${x(i)}" cy="${y(v)}" r="3"><title>${esc(data.categories[i])}, ${esc(s.name)}: ${esc(formatValue(v))}</title></circle>`);
      });
    }
  });
  parts.push(`<line class="axis" x1="${M.left}" x2="${WIDTH - M.right}" y1="${y(0)}" y2="${y(0)}"/></svg>`);
  const legend = S > 1 ? `<ul class="legend">${data.series.map((s, i) => `<li><span class="swatch s${i % MAX_SERIES}"></span>${esc(s.name)}</li>`).join('')}</ul>` : '';
  const more = data.hidden > 0 ? `<p class="hint">First ${n} of ${n + data.hidden} members shown.</p>` : '';
  return `<figcaption>${esc(title)}</figcaption>${parts.join('')}${legend}${more}`;
}
