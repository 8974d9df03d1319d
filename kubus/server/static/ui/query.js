// Turns the view state into Slicer /aggregate calls and merges the answers into one pivot:
// leaf cells, subtotals per row group, column totals and the grand total all come from the
// server (never summed here), so non-additive aggregates (averages, distinct counts) are right.

import { pathString, setCut } from './cuts.js';
import { drilldownString, keyRef, memberOf, orderRef } from './model.js';

const SEP = '|';

export function memberId(member) { return pathString(member.path); }

export function tupleId(cell, items) {
  return items.map((item) => memberId(memberOf(cell, item))).join(SEP);
}

// Natural order plus every level key, so paging through a drilldown is stable.
function orderFor(items) {
  const refs = [];
  for (const item of items) {
    for (const level of item.hierarchy.levels.slice(0, item.levelIndex + 1)) {
      refs.push(orderRef(level), keyRef(level));
    }
  }
  return [...new Set(refs)].join(',');
}

function params(items, cuts, aggregates, extra = []) {
  const p = aggregates.map((a) => ['aggregates', a]);
  if (items.length) p.push(['drilldown', items.map(drilldownString).join('|')]);
  cuts.forEach((c) => p.push(['cut', c]));
  return [...p, ...extra];
}

function sortOrder(view) {
  // Top-N ranks rows by their total; a sort on one column's cells ranks by the same aggregate.
  if (view.sort && view.aggregates.includes(view.sort)) return `${view.sort}:${view.dir}`;
  if (view.sort === '@label') {
    return view.rows.map((item) => `${orderRef(item.level)}:${view.dir}`).join(',');
  }
  return `${view.aggregates[0]}:desc`;
}

async function drill(api, view, items, cuts, signal) {
  const order = items.length ? [['order', orderFor(items)]] : [];
  const p = params(items, cuts, view.aggregates, order);
  if (!items.length) return api.aggregate(view.cube, p, signal);
  return api.aggregateAll(view.cube, p, view.limit, signal);
}

// view: {cube, aggregates, rows, cols (resolved items), cuts (all cut strings), top, page,
//        sort, sortcol, dir, limit}.
export async function loadPivot(api, view, signal) {
  const { rows, cols } = view;
  const R = rows.length;
  const C = cols.length;
  let top = null;
  let restrict = [];
  if (view.top > 0 && R > 0) {
    const p = params(rows, view.cuts, view.aggregates,
      [['order', sortOrder(view)], ['page', view.page], ['pagesize', view.top]]);
    const result = await api.aggregate(view.cube, p, signal);
    top = { result, total: result.total_cell_count ?? result.cells.length };
    if (result.cells.length) {
      restrict = rows.map((item) => {
        const paths = new Map(result.cells.map((c) => {
          const m = memberOf(c, item);
          return [memberId(m), m.path];
        }));
        return setCut(item.dim.name, item.hierarchy.name, [...paths.values()]);
      });
    }
  }
  const jobs = [];
  for (let k = 0; k <= R; k += 1) {
    const items = rows.slice(0, k);
    const cuts = k === R ? [...view.cuts, ...restrict] : view.cuts;
    const empty = k === R && top && !top.result.cells.length;
    jobs.push(C && !empty ? drill(api, view, [...items, ...cols], cuts, signal) : null);
    if (k === R && top) jobs.push(Promise.resolve(top.result));
    else if (!(k === 0 && C)) jobs.push(drill(api, view, items, cuts, signal));
    else jobs.push(null);
  }
  const results = await Promise.all(jobs);
  // When the last answer arrived: the render time is measured from here (bench/bench_web.py).
  const arrived = performance.now();
  return { ...assemble(view, results, top), arrived };
}

function assemble(view, results, top) {
  const { rows, cols } = view;
  const R = rows.length;
  const withCols = (k) => results[2 * k];
  const withoutCols = (k) => results[2 * k + 1];
  const first = withCols(0) || withoutCols(0);
  const colTuples = [];
  const colTotals = new Map();
  if (cols.length && withCols(0)) {
    for (const cell of withCols(0).cells) {
      const id = tupleId(cell, cols);
      colTuples.push({ id, members: cols.map((item) => memberOf(cell, item)) });
      colTotals.set(id, cell);
    }
  }
  const root = { depth: 0, id: '', members: [], children: [], index: new Map(), values: colTotals,
    total: first.summary };
  const nodes = new Map([['', root]]);
  const leaves = withoutCols(R);
  for (const cell of leaves ? leaves.cells : []) {
    let parent = root;
    for (let k = 1; k <= R; k += 1) {
      const id = tupleId(cell, rows.slice(0, k));
      let node = nodes.get(id);
      if (!node) {
        node = { depth: k, id, members: rows.slice(0, k).map((item) => memberOf(cell, item)),
          children: [], values: new Map(), total: null, seq: nodes.size };
        nodes.set(id, node);
        parent.children.push(node);
      }
      parent = node;
    }
  }
  for (let k = 1; k <= R; k += 1) {
    const items = rows.slice(0, k);
    for (const cell of withoutCols(k) ? withoutCols(k).cells : []) {
      const node = nodes.get(tupleId(cell, items));
      if (node) node.total = cell;
    }
    if (cols.length && withCols(k)) {
      for (const cell of withCols(k).cells) {
        const node = nodes.get(tupleId(cell, items));
        if (node) node.values.set(tupleId(cell, cols), cell);
      }
    }
  }
  const truncated = results.some((r) => r && r.truncated);
  return { rows, cols, aggregates: view.aggregates, colTuples, root, nodes, top, truncated,
    cellCount: results.reduce((n, r) => n + (r && r.cells ? r.cells.length : 0), 0) };
}

// Sort children at every depth by the chosen column; natural order otherwise.
export function sortPivot(pivot, sort, sortcol, dir) {
  if (!sort) return;
  const sign = dir === 'asc' ? 1 : -1;
  const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });
  const value = (node) => {
    const cell = sortcol ? node.values.get(sortcol) : node.total;
    const v = cell ? cell[sort] : null;
    return typeof v === 'number' ? v : null;
  };
  const compare = sort === '@label'
    ? (a, b) => sign * collator.compare(a.members[a.depth - 1].label, b.members[b.depth - 1].label)
    : (a, b) => {
      const x = value(a);
      const y = value(b);
      if (x === null || y === null) return (x === null) - (y === null);
      return sign * (x - y);
    };
  const visit = (node) => {
    node.children.sort(compare);
    node.children.forEach(visit);
  };
  visit(pivot.root);
}
