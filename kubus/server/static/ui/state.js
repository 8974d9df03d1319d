// The whole view state lives in the page URL: parse it, validate it, write it back.
// Example: ?cube=sales&agg=amount_sum&row=product@default:category&col=date@default:year

const AXIS_ITEM = /^(\w+)(?:@(\w+))?(?::(\w+))?$/;
const CHARTS = ['auto', 'bar', 'line', 'none'];

function axisItems(values, name, problems) {
  const items = [];
  for (const value of values) {
    const m = AXIS_ITEM.exec(value);
    if (m) items.push({ dimension: m[1], hierarchy: m[2] || null, level: m[3] || null });
    else problems.push(`${name}=${value} is not dimension[@hierarchy][:level]`);
  }
  return items;
}

function count(params, name, problems) {
  const raw = params.get(name);
  if (raw === null || raw === '') return 0;
  if (!/^\d+$/.test(raw)) {
    problems.push(`${name}=${raw} is not a non-negative whole number`);
    return 0;
  }
  return Number(raw);
}

export function emptyState() {
  return {
    api: '', cube: '', aggregates: [], rows: [], cols: [], drills: [], cuts: [],
    sort: '', sortcol: '', dir: 'desc', top: 0, page: 0, chart: 'auto',
    view: 'pivot', fcuts: [], fpage: 0, problems: [],
  };
}

export function parseState(search) {
  const p = new URLSearchParams(search);
  const problems = [];
  const chart = p.get('chart') || 'auto';
  if (!CHARTS.includes(chart)) problems.push(`chart=${chart} is not one of ${CHARTS.join(', ')}`);
  const view = p.get('view') || 'pivot';
  if (!['pivot', 'facts'].includes(view)) problems.push(`view=${view} is not pivot or facts`);
  const dir = p.get('dir') || 'desc';
  if (!['asc', 'desc'].includes(dir)) problems.push(`dir=${dir} is not asc or desc`);
  return {
    api: p.get('api') || '',
    cube: p.get('cube') || '',
    aggregates: p.getAll('agg').filter(Boolean),
    rows: axisItems(p.getAll('row'), 'row', problems),
    cols: axisItems(p.getAll('col'), 'col', problems),
    drills: p.getAll('drill').filter(Boolean),
    cuts: p.getAll('cut').filter(Boolean),
    sort: p.get('sort') || '',
    sortcol: p.get('sortcol') || '',
    dir: dir === 'asc' ? 'asc' : 'desc',
    top: count(p, 'top', problems),
    page: count(p, 'page', problems),
    chart: CHARTS.includes(chart) ? chart : 'auto',
    view: view === 'facts' ? 'facts' : 'pivot',
    fcuts: p.getAll('fcut').filter(Boolean),
    fpage: count(p, 'fpage', problems),
    problems,
  };
}

function itemString(item) {
  return `${item.dimension}${item.hierarchy ? `@${item.hierarchy}` : ''}${item.level ? `:${item.level}` : ''}`;
}

export function stateQuery(state) {
  const p = new URLSearchParams();
  if (state.api) p.set('api', state.api);
  if (state.cube) p.set('cube', state.cube);
  state.aggregates.forEach((a) => p.append('agg', a));
  state.rows.forEach((r) => p.append('row', itemString(r)));
  state.cols.forEach((c) => p.append('col', itemString(c)));
  state.drills.forEach((d) => p.append('drill', d));
  state.cuts.forEach((c) => p.append('cut', c));
  if (state.sort) {
    p.set('sort', state.sort);
    if (state.sortcol) p.set('sortcol', state.sortcol);
    p.set('dir', state.dir);
  }
  if (state.top) p.set('top', String(state.top));
  if (state.page) p.set('page', String(state.page));
  if (state.chart !== 'auto') p.set('chart', state.chart);
  if (state.view === 'facts') {
    p.set('view', 'facts');
    state.fcuts.forEach((c) => p.append('fcut', c));
    if (state.fpage) p.set('fpage', String(state.fpage));
  }
  return `?${p.toString()}`;
}

// The cube-independent part kept when another cube is chosen.
export function stateForCube(state, cube) {
  return { ...emptyState(), api: state.api, cube, chart: state.chart };
}
