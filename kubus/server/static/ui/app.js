// The controller: reads the state from the URL, asks the Slicer API, renders, and writes every
// change back to the URL (pushState), so bookmarks, reload and Back restore the view.

import { Slicer, describeError } from './api.js';
import { addDimension, axisAction, changeHierarchy, changeLevel, drillDown, rollUp } from './axes.js';
import { parseCut, pointCut, toggleInvert } from './cuts.js';
import { CubeModel, resolveItem } from './model.js';
import { parseState, stateForCube, stateQuery } from './state.js';
import { loadPivot, sortPivot } from './query.js';
import { pivotCsv, renderPivot } from './pivot.js';
import { chartData, chartKind, renderChart } from './chart.js';
import { FilterEditor, cellCutLabel, describeCut, renderChips } from './filters.js';
import { loadFacts, renderFacts } from './facts.js';
import { renderAggregates, renderAxis, renderBreadcrumbs, renderCubes, renderDimensionChoice, renderPager } from './controls.js';
import { attachGrid } from './grid.js';

const $ = (id) => document.getElementById(id);

class UrlStateError extends Error {}

class App {
  constructor() {
    this.state = parseState(window.location.search);
    this.generation = 0;
    this.labels = new Map();
    this.asked = new Set();
    this.editor = new FilterEditor($('filter-editor'), {
      api: () => this.api, model: () => this.model, state: () => this.state,
      addCut: (cut, label) => this.addCut(cut, label),
    });
  }

  start() {
    window.addEventListener('popstate', () => { this.state = parseState(window.location.search); this.refresh(); });
    $('cube').addEventListener('change', (e) => this.navigate(stateForCube(this.state, e.target.value)));
    $('aggregates').addEventListener('change', () => {
      const picked = [...document.querySelectorAll('#aggregates input:checked')].map((i) => i.value);
      if (picked.length) this.change({ aggregates: picked, sort: picked.includes(this.state.sort) || this.state.sort === '@label' ? this.state.sort : '' });
      else this.refresh();
    });
    $('add-row').addEventListener('click', () => this.addAxisItem('rows'));
    $('add-col').addEventListener('click', () => this.addAxisItem('cols'));
    $('swap-axes').addEventListener('click', () => this.change({ rows: this.state.cols, cols: this.state.rows, sort: '', sortcol: '', page: 0 }));
    for (const axis of ['rows', 'cols']) {
      const box = $(`axis-${axis}`);
      box.addEventListener('change', (e) => this.axisChanged(e));
      box.addEventListener('click', (e) => this.axisClicked(e));
    }
    $('top').addEventListener('change', (e) => this.change({ top: Number(e.target.value), page: 0 }));
    $('chart').addEventListener('change', (e) => this.change({ chart: e.target.value }));
    $('export-csv').addEventListener('click', () => this.exportCsv());
    $('chips').addEventListener('click', (e) => this.chipClicked(e));
    $('breadcrumbs').addEventListener('click', (e) => this.crumbClicked(e));
    $('pager').addEventListener('click', (e) => {
      if (e.target.id === 'rows-prev') this.change({ page: Math.max(0, this.state.page - 1) });
      if (e.target.id === 'rows-next') this.change({ page: this.state.page + 1 });
    });
    $('facts-view').addEventListener('click', (e) => this.factsClicked(e));
    attachGrid($('table-wrap'), {
      drill: (button) => this.drill(button),
      facts: (td) => this.openFacts(td),
      sort: (button) => this.sortBy(button.dataset.sort, button.dataset.col),
    });
    this.refresh();
  }

  // -- navigation ----------------------------------------------------------------------------
  navigate(state, replace = false) {
    this.state = { ...state, problems: [] };
    const url = `${window.location.pathname}${stateQuery(this.state)}`;
    if (replace) window.history.replaceState(null, '', url);
    else window.history.pushState(null, '', url);
    this.refresh();
  }

  change(changes) { this.navigate({ ...this.state, ...changes }); }

  setStatus(kind, text) {
    document.body.dataset.status = kind;
    $('status').textContent = text;
    $('status').className = `status is-${kind}`;
    $('app').setAttribute('aria-busy', kind === 'loading' ? 'true' : 'false');
  }

  showError(text) {
    $('error-text').textContent = text;
    $('error').hidden = !text;
  }

  async refresh() {
    if (this.abort) this.abort.abort();
    this.abort = new AbortController();
    const { signal } = this.abort;
    const generation = ++this.generation;
    this.setStatus('loading', 'Loading…');
    this.showError('');
    try {
      const done = await this.load(signal, generation);
      if (generation !== this.generation || !done) return;
      this.setStatus('ready', done);
    } catch (error) {
      if (error.name === 'AbortError' || generation !== this.generation) return;
      const text = error instanceof UrlStateError
        ? `This address does not describe a valid view: ${error.message}.` : describeError(error);
      this.showError(text);
      this.setStatus('error', 'Failed');
    }
  }

  async load(signal, generation) {
    const base = this.state.api || new URL('../', window.location.href).href;
    if (!this.api || this.api.base !== (base.endsWith('/') ? base : `${base}/`)) {
      this.api = new Slicer(base);
      const [info, cubes] = await Promise.all([this.api.info(signal).catch(() => ({})), this.api.cubes(signal)]);
      this.limit = info.json_record_limit || 1000;
      this.cubes = cubes;
      this.model = null;
    }
    renderCubes($('cube'), this.cubes, this.state.cube);
    if (!this.state.cube) {
      if (!this.cubes.length) return 'No cubes on this server';
      this.navigate(stateForCube(this.state, this.cubes[0].name), true);
      return null;
    }
    if (!this.model || this.model.name !== this.state.cube) {
      this.model = null;
      const model = new CubeModel(await this.api.model(this.state.cube, signal));
      if (generation !== this.generation) return null;
      this.model = model;
      this.editor.render();
      renderDimensionChoice($('add-dimension'), model);
    }
    if (!this.state.aggregates.length && !this.state.rows.length && !this.state.cols.length
        && !this.state.problems.length) {
      this.navigate(this.defaults(), true);
      return null;
    }
    const view = this.resolve();
    this.renderControls(view);
    if (this.state.view === 'facts') return this.showFacts(view, signal, generation);
    return this.showPivot(view, signal, generation);
  }

  defaults() {
    const dims = this.model.dimensions;
    const row = dims.find((d) => d.role !== 'time') || dims[0];
    return { ...this.state, aggregates: this.model.aggregates.slice(0, 1).map((a) => a.name),
      rows: row ? [{ dimension: row.name, hierarchy: null, level: null }] : [] };
  }

  // Check the URL state against the model; every problem is reported at once.
  resolve() {
    const { state, model } = this;
    const problems = [...state.problems];
    state.aggregates.forEach((a) => { if (!model.aggregate(a)) problems.push(`agg=${a}: the cube has no aggregate '${a}'`); });
    const items = (list, name) => list.map((raw) => {
      const item = resolveItem(model, raw);
      if (item.problem) problems.push(`${name}=${raw.dimension}: ${item.problem}`);
      return item;
    });
    const rows = items(state.rows, 'row');
    const cols = items(state.cols, 'col');
    const seen = new Set();
    [...state.rows, ...state.cols].forEach((r) => {
      if (seen.has(r.dimension)) problems.push(`dimension '${r.dimension}' is on the rows and columns more than once`);
      seen.add(r.dimension);
    });
    for (const [name, list] of [['drill', state.drills], ['cut', state.cuts], ['fcut', state.fcuts]]) {
      list.forEach((c) => { if (!parseCut(c)) problems.push(`${name}=${c} is not a cut (dimension[@hierarchy]:path)`); });
    }
    if (state.sort && state.sort !== '@label' && !state.aggregates.includes(state.sort)) {
      problems.push(`sort=${state.sort} is not one of the chosen aggregates`);
    }
    if (!state.aggregates.length) problems.push('choose at least one aggregate (agg=…)');
    if (problems.length) throw new UrlStateError(problems.join('; '));
    return { cube: state.cube, aggregates: state.aggregates, rows, cols,
      cuts: [...state.cuts, ...state.drills], fcuts: state.fcuts, fpage: state.fpage,
      top: state.top, page: state.page, sort: state.sort, sortcol: state.sortcol, dir: state.dir,
      limit: this.limit };
  }

  renderControls(view) {
    renderAggregates($('aggregates').querySelector('.choices'), this.model, this.state.aggregates);
    renderAxis($('axis-rows'), this.model, 'rows', view.rows);
    renderAxis($('axis-cols'), this.model, 'cols', view.cols);
    renderChips($('chips'), this.model, this.state.cuts, this.labels);
    const { cube } = this.state;
    this.fetchLabels(this.state.cuts).then((named) => {
      if (named && this.state.cube === cube) renderChips($('chips'), this.model, this.state.cuts, this.labels);
    });
    const top = $('top');
    if (![...top.options].some((o) => o.value === String(this.state.top))) {
      top.add(new Option(`Top ${this.state.top}`, String(this.state.top))); // from the address
    }
    top.value = String(this.state.top);
    $('chart').value = this.state.chart;
    $('export-csv').disabled = this.state.view !== 'pivot';
    $('pivot-view').hidden = this.state.view !== 'pivot';
    $('facts-view').hidden = this.state.view !== 'facts';
    this.view = view;
  }

  // -- pivot ---------------------------------------------------------------------------------
  async showPivot(view, signal, generation) {
    const started = performance.now();
    const pivot = await loadPivot(this.api, view, signal);
    if (generation !== this.generation) return null;
    const { arrived } = pivot;
    sortPivot(pivot, view.sort, view.sortcol, view.dir);
    const wrap = $('table-wrap');
    const html = renderPivot(pivot, this.model, view);
    const built = performance.now();
    wrap.innerHTML = html;
    void wrap.offsetHeight; // force layout: the table is really in the document now
    const rendered = performance.now();
    this.pivot = pivot;
    const data = chartData(pivot, this.model, view);
    const box = $('chart-box');
    box.hidden = this.state.chart === 'none' || !data;
    box.innerHTML = box.hidden ? '' : renderChart(data, chartKind(data, this.state.chart), this.model);
    const items = [...view.rows.map((item, i) => ({ axis: 'rows', i, item })), ...view.cols.map((item, i) => ({ axis: 'cols', i, item }))];
    renderBreadcrumbs($('breadcrumbs'), this.model, items, this.state.drills, (item) => this.sampleLabels(pivot, item));
    renderPager($('pager'), view.top && view.rows.length ? view.top : 0, view.page, pivot.top ? pivot.top.total : null);
    const notice = pivot.truncated ? 'The result is larger than this page shows: only the first cells were loaded. Add filters or use "Rows shown".' : '';
    $('notice').textContent = notice;
    $('notice').hidden = !notice;
    const cells = pivot.nodes.size * Math.max(pivot.colTuples.length + 1, 1) * view.aggregates.length;
    window.kubusTimings = { fetch: arrived - started, render: rendered - arrived, build: built - arrived, dom: rendered - built, total: rendered, chart: performance.now() - rendered, cells };
    return `${cells} cells`;
  }

  sampleLabels(pivot, item) {
    const index = pivot.rows.includes(item) ? pivot.rows.indexOf(item) : -1;
    if (index >= 0) {
      const leaf = [...pivot.nodes.values()].find((n) => n.depth > index);
      return leaf ? leaf.members[index].labels : null;
    }
    const c = pivot.cols.indexOf(item);
    return pivot.colTuples.length ? pivot.colTuples[0].members[c].labels : null;
  }

  axisItemAt(target) {
    const li = target.closest('.axis-item');
    return li ? { axis: li.dataset.axis, i: Number(li.dataset.i) } : null;
  }

  axisChanged(e) {
    const at = this.axisItemAt(e.target);
    const { act } = e.target.dataset;
    if (!at) return;
    if (act === 'hier') this.change(changeHierarchy(this.state, at.axis, at.i, e.target.value));
    if (act === 'level') this.change(changeLevel(this.state, this.view, at.axis, at.i, e.target.value));
  }

  axisClicked(e) {
    const button = e.target.closest('button');
    const at = button && this.axisItemAt(button);
    const changes = at && axisAction(this.state, at.axis, at.i, button.dataset.act);
    if (changes) this.change(changes);
  }

  addAxisItem(axis) {
    const name = $('add-dimension').value;
    if (name) this.change(addDimension(this.state, axis, name));
  }

  drill(button) {
    const k = Number(button.dataset.k);
    const node = this.pivot.nodes.get(button.closest('tr').dataset.row);
    this.change(drillDown(this.state, this.view, k, node.members[k]));
  }

  crumbClicked(e) {
    const button = e.target.closest('button.crumb');
    if (!button) return;
    const { axis, i, depth } = button.dataset;
    this.change(rollUp(this.state, this.view, axis, Number(i), Number(depth)));
  }

  sortBy(sort, col) {
    const same = this.state.sort === sort && this.state.sortcol === col;
    const dir = same ? (this.state.dir === 'asc' ? 'desc' : 'asc') : (sort === '@label' ? 'asc' : 'desc');
    this.change({ sort, sortcol: col, dir, page: 0 });
  }

  // -- filters -------------------------------------------------------------------------------
  // Cuts from the address carry keys only; /cell names their members (chips, facts title).
  async fetchLabels(cuts) {
    const missing = cuts.filter((c) => !this.labels.has(c) && !this.asked.has(c));
    if (!missing.length) return false;
    missing.forEach((c) => this.asked.add(c));
    try {
      const answer = await this.api.cell(this.state.cube, missing);
      answer.cuts.forEach((cut, i) => {
        const text = cellCutLabel(this.model, cut);
        if (text && missing[i]) this.labels.set(missing[i], text);
      });
      return true;
    } catch {
      return false; // the keys are shown instead
    }
  }

  addCut(cut, label) {
    if (label) this.labels.set(cut, label);
    if (this.state.cuts.includes(cut)) return;
    this.change({ cuts: [...this.state.cuts, cut], page: 0 });
  }

  chipClicked(e) {
    const button = e.target.closest('button[data-chip]');
    if (!button) return;
    const i = Number(button.dataset.chip);
    const cuts = [...this.state.cuts];
    if (button.dataset.act === 'remove') cuts.splice(i, 1);
    else {
      const label = this.labels.get(cuts[i]);
      cuts[i] = toggleInvert(cuts[i]);
      if (label) this.labels.set(cuts[i], label.includes(' is not ') ? label.replace(' is not ', ' is ') : label.replace(' is ', ' is not '));
    }
    this.change({ cuts, page: 0 });
  }

  // -- facts ---------------------------------------------------------------------------------
  openFacts(td) {
    const node = this.pivot.nodes.get(td.closest('tr').dataset.row);
    const c = Number(td.dataset.c);
    const fcuts = [];
    const add = (item, member) => {
      const cut = pointCut(item.dim.name, item.hierarchy.name, member.path);
      this.labels.set(cut, `${this.model.dimensionLabel(item.dim)} is ${member.labels.join(' › ')}`);
      fcuts.push(cut);
    };
    node.members.forEach((m, k) => add(this.view.rows[k], m));
    if (c >= 0) this.pivot.colTuples[c].members.forEach((m, k) => add(this.view.cols[k], m));
    this.change({ view: 'facts', fcuts, fpage: 0 });
  }

  async showFacts(view, signal, generation) {
    const [facts] = await Promise.all([loadFacts(this.api, this.model, view, signal),
      this.fetchLabels(view.fcuts)]);
    if (generation !== this.generation) return null;
    $('breadcrumbs').hidden = true;
    $('facts-view').innerHTML = renderFacts(facts, this.model, view, (c) => describeCut(this.model, c, this.labels));
    return `${facts.records.length} facts`;
  }

  factsClicked(e) {
    const { id } = e.target;
    if (id === 'facts-back') this.change({ view: 'pivot', fcuts: [], fpage: 0 });
    if (id === 'facts-prev') this.change({ fpage: Math.max(0, this.state.fpage - 1) });
    if (id === 'facts-next') this.change({ fpage: this.state.fpage + 1 });
  }

  exportCsv() {
    if (!this.pivot) return;
    const blob = new Blob([pivotCsv(this.pivot, this.model)], { type: 'text/csv;charset=utf-8' });
    const link = document.createElement('a');
    link.href = URL.createObjectURL(blob);
    link.download = `${this.state.cube}-view.csv`;
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 10000);
  }
}

new App().start();
