// Renders the pivot as one HTML string (a single innerHTML, no per-cell DOM calls, so 10,000
// cells lay out once) and exports the same view as CSV.

import { levelLabel } from './model.js';

const ESCAPES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export function esc(text) { return String(text).replace(/[&<>"']/g, (c) => ESCAPES[c]); }

const numberFormat = new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 });
export function formatValue(v) {
  if (v === null || v === undefined) return '';
  return typeof v === 'number' ? numberFormat.format(v) : String(v);
}

function ariaSort(view, agg, col) {
  if (view.sort !== agg || view.sortcol !== col) return '';
  return ` aria-sort="${view.dir === 'asc' ? 'ascending' : 'descending'}"`;
}

function sortButton(view, agg, col, text, label) {
  const active = view.sort === agg && view.sortcol === col;
  const mark = active ? (view.dir === 'asc' ? ' ▲' : ' ▼') : '';
  return `<button type="button" class="sort" tabindex="-1" data-sort="${esc(agg)}" data-col="${esc(col)}"`
    + ` aria-label="Sort by ${esc(label)}">${esc(text)}${mark}</button>`;
}

// Walk the tree in display order: leaves, then a subtotal row after each group's children.
export function displayRows(pivot) {
  const out = [];
  const R = pivot.rows.length;
  const visit = (node) => {
    if (node.depth === R) {
      out.push({ kind: 'leaf', node });
      return;
    }
    node.children.forEach(visit);
    if (node.depth > 0) out.push({ kind: 'subtotal', node });
  };
  if (R) visit(pivot.root);
  out.push({ kind: 'total', node: pivot.root });
  return out;
}

function headerHtml(pivot, model, view) {
  const { rows, cols, colTuples, aggregates } = pivot;
  const A = aggregates.length;
  const corner = Math.max(rows.length, 1);
  const parts = ['<thead>'];
  cols.forEach((item, c) => {
    parts.push(`<tr><th scope="col" colspan="${corner}" class="corner">${esc(levelLabel(item.level))}</th>`);
    for (let i = 0; i < colTuples.length;) {
      const prefix = colTuples[i].members.slice(0, c + 1).map((m) => m.path.join('\u0001')).join('\u0002');
      let span = 1;
      while (i + span < colTuples.length
        && colTuples[i + span].members.slice(0, c + 1).map((m) => m.path.join('\u0001')).join('\u0002') === prefix) span += 1;
      parts.push(`<th scope="colgroup" colspan="${span * A}">${esc(colTuples[i].members[c].label)}</th>`);
      i += span;
    }
    if (c === 0) parts.push(`<th scope="colgroup" rowspan="${cols.length}" colspan="${A}" class="total">Total</th>`);
    parts.push('</tr>');
  });
  parts.push('<tr>');
  if (rows.length) {
    rows.forEach((item) => {
      const label = levelLabel(item.level);
      parts.push(`<th scope="col" class="rowhead"${ariaSort(view, '@label', '')}>${sortButton(view, '@label', '', label, label)}</th>`);
    });
  } else {
    parts.push('<th scope="col" class="rowhead"></th>');
  }
  const aggLabel = (a) => model.aggregateLabel(a);
  for (const tuple of colTuples) {
    const name = tuple.members.map((m) => m.label).join(' / ');
    for (const a of aggregates) {
      parts.push(`<th scope="col"${ariaSort(view, a, tuple.id)}>${sortButton(view, a, tuple.id, aggLabel(a), `${name}, ${aggLabel(a)}`)}</th>`);
    }
  }
  for (const a of aggregates) {
    const label = cols.length ? `Total, ${aggLabel(a)}` : aggLabel(a);
    parts.push(`<th scope="col" class="total"${ariaSort(view, a, '')}>${sortButton(view, a, '', aggLabel(a), label)}</th>`);
  }
  parts.push('</tr></thead>');
  return parts.join('');
}

function valueCells(parts, pivot, node, cls) {
  for (let c = 0; c < pivot.colTuples.length; c += 1) {
    const cell = node.values.get(pivot.colTuples[c].id);
    for (const a of pivot.aggregates) {
      parts.push(`<td data-c="${c}"${cls}>${cell ? formatValue(cell[a]) : ''}</td>`);
    }
  }
  const total = pivot.colTuples.length ? ' class="total"' : cls;
  for (const a of pivot.aggregates) {
    parts.push(`<td data-c="-1"${total}>${node.total ? formatValue(node.total[a]) : ''}</td>`);
  }
}

export function renderPivot(pivot, model, view) {
  const R = pivot.rows.length;
  const parts = ['<table class="pivot" id="pivot-table"><caption class="sr-only">Pivot of ',
    esc(pivot.aggregates.map((a) => model.aggregateLabel(a)).join(', ')),
    '. Use the arrow keys to move, Enter to drill down or to list the facts of a cell.</caption>',
    headerHtml(pivot, model, view), '<tbody>'];
  const previous = [];
  for (const row of displayRows(pivot)) {
    const { node } = row;
    parts.push(`<tr class="${row.kind}" data-row="${esc(node.id)}">`);
    if (row.kind === 'leaf') {
      for (let k = 0; k < R; k += 1) {
        const member = node.members[k];
        const id = member.path.join('\u0001');
        const repeat = k < R - 1 && previous[k] === id && previous.slice(0, k).every((p, i) => p === node.members[i].path.join('\u0001'));
        const item = pivot.rows[k];
        const drillable = item.levelIndex + 1 < item.hierarchy.levels.length;
        let content = '';
        if (!repeat) {
          content = drillable
            ? `<button type="button" class="drill" tabindex="-1" data-k="${k}" title="Drill down to ${esc(levelLabel(item.hierarchy.levels[item.levelIndex + 1]))}">${esc(member.label)}</button>`
            : esc(member.label);
        }
        parts.push(`<th scope="row"${repeat ? ' class="repeat"' : ''}>${content}</th>`);
      }
      node.members.forEach((m, k) => { previous[k] = m.path.join('\u0001'); });
      valueCells(parts, pivot, node, '');
    } else if (row.kind === 'subtotal') {
      parts.push(`<th scope="row" colspan="${R}">${esc(node.members[node.depth - 1].label)} total</th>`);
      valueCells(parts, pivot, node, ' class="sub"');
      previous.length = 0;
    } else {
      parts.push(`<th scope="row" colspan="${Math.max(R, 1)}">Total</th>`);
      valueCells(parts, pivot, node, ' class="grand"');
    }
    parts.push('</tr>');
  }
  parts.push('</tbody></table>');
  return parts.join('');
}

function csvField(v) {
  if (v === null || v === undefined) return '';
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

// The view as CSV: one header row, the rows as shown (subtotals and the total included),
// raw numbers (no thousands separators) so that spreadsheets read them.
export function pivotCsv(pivot, model) {
  const R = pivot.rows.length;
  const header = R ? pivot.rows.map((item) => levelLabel(item.level)) : [''];
  for (const tuple of pivot.colTuples) {
    const name = tuple.members.map((m) => m.label).join(' / ');
    pivot.aggregates.forEach((a) => header.push(`${name} / ${model.aggregateLabel(a)}`));
  }
  pivot.aggregates.forEach((a) => header.push(pivot.cols.length ? `Total / ${model.aggregateLabel(a)}` : model.aggregateLabel(a)));
  const lines = [header.map(csvField).join(',')];
  for (const row of displayRows(pivot)) {
    const { node } = row;
    let labels;
    if (row.kind === 'leaf') labels = node.members.map((m) => m.label);
    else if (row.kind === 'subtotal') {
      labels = [...node.members.map((m) => m.label), 'Total', ...Array(R - node.depth - 1).fill('')];
    } else labels = R ? ['Total', ...Array(R - 1).fill('')] : ['Total'];
    const values = [];
    for (const tuple of pivot.colTuples) {
      const cell = node.values.get(tuple.id);
      pivot.aggregates.forEach((a) => values.push(cell ? cell[a] : null));
    }
    pivot.aggregates.forEach((a) => values.push(node.total ? node.total[a] : null));
    lines.push([...labels, ...values].map(csvField).join(','));
  }
  return `${lines.join('\r\n')}\r\n`;
}
