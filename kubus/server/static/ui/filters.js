// The filter editor (member picker fed by /members, date ranges, relative dates,
// include/exclude) and the chips of the active filters.

import { describeError } from './api.js';
import { parseCut, rangeCut, setCut } from './cuts.js';
import { esc } from './pivot.js';
import { isTime, keyRef, labelRef, levelLabel } from './model.js';

const MEMBER_PAGE = 100;
const CALENDAR_UNITS = ['year', 'quarter', 'month', 'day', 'hour', 'minute', 'weekday'];
export const RELATIVE = [
  ['today', 'Today'], ['yesterday', 'Yesterday'], ['7daysago-today', 'Last 7 days'],
  ['30daysago-today', 'Last 30 days'], ['90daysago-today', 'Last 90 days'],
  ['lastmonth-today', 'Since the start of last month'], ['lastyear-today', 'Since the start of last year'],
  ['3yearsago-today', 'Last 3 years'], ['5yearsago-today', 'Last 5 years'],
];

// The hierarchy whose levels are year > month > day (by role or name), for date ranges.
export function dateHierarchy(model, dim) {
  const roles = (l) => l.role || l.name;
  for (const h of model.hierarchies(dim)) {
    const levels = model.hierarchy(dim, h.name).levels;
    if (levels.map(roles).join('>') === 'year>month>day') return model.hierarchy(dim, h.name);
  }
  return null;
}

function canRelative(hierarchy) {
  return hierarchy && hierarchy.levels.every((l) => CALENDAR_UNITS.includes(l.name));
}

export function describeCut(model, text, labels) {
  if (labels.has(text)) return labels.get(text);
  const cut = parseCut(text);
  if (!cut) return text;
  const dim = model.dimension(cut.dimension);
  const name = dim ? model.dimensionLabel(dim) : cut.dimension;
  const relative = new Map(RELATIVE).get(text.slice(text.indexOf(':') + 1));
  if (relative) return `${name} ${cut.invert ? 'not ' : ''}${relative.toLowerCase()}`;
  if (cut.type === 'range') {
    return `${name} ${cut.invert ? 'not ' : ''}from ${cut.from.join('-') || '…'} to ${cut.to.join('-') || '…'}`;
  }
  return `${name} ${cut.invert ? 'is not' : 'is'} ${cut.paths.map((p) => p.join(' › ')).join(', ')}`;
}

// A chip's text from a /cell cut object with details, e.g. "Product is Electronics, Toys";
// null when the server found no member (the keys are shown instead).
export function cellCutLabel(model, cut) {
  const dim = model.dimension(cut.dimension);
  const name = dim ? model.dimensionLabel(dim) : cut.dimension;
  const last = (details) => (details && details.length ? String(details[details.length - 1]._label) : null);
  if (cut.type === 'range') {
    const d = cut.details || {};
    const from = cut.from.length ? last(d.from) : '…';
    const to = cut.to.length ? last(d.to) : '…';
    if (from === null || to === null) return null;
    return `${name} ${cut.invert ? 'not ' : ''}from ${from} to ${to}`;
  }
  const paths = cut.type === 'set' ? (cut.details || []) : [cut.details];
  const labels = paths.map(last);
  if (!labels.length || labels.some((l) => l === null)) return null;
  return `${name} ${cut.invert ? 'is not' : 'is'} ${labels.join(', ')}`;
}

export function renderChips(list, model, cuts, labels) {
  list.innerHTML = cuts.map((c, i) => {
    const text = describeCut(model, c, labels);
    const inverted = c.startsWith('!');
    return `<li class="chip${inverted ? ' excluded' : ''}"><span>${esc(text)}</span>`
      + `<button type="button" data-chip="${i}" data-act="invert" aria-pressed="${inverted}" aria-label="Exclude instead: ${esc(text)}" title="Include/exclude">≠</button>`
      + `<button type="button" data-chip="${i}" data-act="remove" aria-label="Remove filter ${esc(text)}" title="Remove filter">✕</button></li>`;
  }).join('');
  list.hidden = !cuts.length;
}

export class FilterEditor {
  // host: {api(), model(), state(), addCut(cut, label)}
  constructor(root, host) {
    this.root = root;
    this.host = host;
    this.members = [];
    this.page = 0;
    this.abort = null;
  }

  render() {
    const model = this.host.model();
    const options = model.dimensions.map((d) => `<option value="${esc(d.name)}">${esc(model.dimensionLabel(d))}</option>`).join('');
    this.root.innerHTML = `
      <div class="field"><label for="f-dim">Filter on</label><select id="f-dim">${options}</select></div>
      <div class="field"><label for="f-hier">Hierarchy</label><select id="f-hier"></select></div>
      <div class="field"><label for="f-level">Level</label><select id="f-level"></select></div>
      <fieldset class="mode"><legend>Mode</legend>
        <label><input type="radio" name="f-mode" value="include" checked> Include</label>
        <label><input type="radio" name="f-mode" value="exclude"> Exclude</label></fieldset>
      <div class="field"><label for="f-search">Search loaded members</label><input id="f-search" type="search" autocomplete="off"></div>
      <div id="f-members" class="members" role="group" aria-label="Members"></div>
      <div class="row-buttons"><button type="button" id="f-more" hidden>More members</button>
      <button type="button" id="f-apply">Add member filter</button></div>
      <div id="f-dates" class="dates" hidden>
        <fieldset><legend>Date range</legend>
          <div class="field"><label for="f-from">From</label><input id="f-from" type="date"></div>
          <div class="field"><label for="f-to">To</label><input id="f-to" type="date"></div>
          <button type="button" id="f-range">Add date range</button></fieldset>
        <div class="field"><label for="f-relative">Relative dates</label><select id="f-relative">
          ${RELATIVE.map(([v, l]) => `<option value="${esc(v)}">${esc(l)}</option>`).join('')}</select>
          <button type="button" id="f-rel-add">Add relative filter</button></div>
      </div>
      <p id="f-message" class="hint" role="status"></p>`;
    const $ = (id) => this.root.querySelector(`#${id}`);
    $('f-dim').addEventListener('change', () => this.dimensionChanged());
    $('f-hier').addEventListener('change', () => this.hierarchyChanged());
    $('f-level').addEventListener('change', () => this.load(true));
    $('f-search').addEventListener('input', () => this.showMembers());
    $('f-more').addEventListener('click', () => this.load(false));
    $('f-apply').addEventListener('click', () => this.applyMembers());
    $('f-range').addEventListener('click', () => this.applyRange());
    $('f-rel-add').addEventListener('click', () => this.applyRelative());
    this.dimensionChanged();
  }

  $(id) { return this.root.querySelector(`#${id}`); }

  dimension() { return this.host.model().dimension(this.$('f-dim').value); }

  hierarchy() { return this.host.model().hierarchy(this.dimension(), this.$('f-hier').value); }

  dimensionChanged() {
    const model = this.host.model();
    const dim = this.dimension();
    this.$('f-hier').innerHTML = model.hierarchies(dim).map((h) => `<option value="${esc(h.name)}"${h.name === dim.default_hierarchy_name ? ' selected' : ''}>${esc(h.label || h.name)}</option>`).join('');
    this.$('f-hier').closest('.field').hidden = model.hierarchies(dim).length < 2;
    const dates = isTime(dim) ? dateHierarchy(model, dim) : null;
    this.$('f-dates').hidden = !dates;
    this.$('f-relative').closest('.field').hidden = !canRelative(dates);
    this.hierarchyChanged();
  }

  hierarchyChanged() {
    this.$('f-level').innerHTML = this.hierarchy().levels.map((l) => `<option value="${esc(l.name)}">${esc(levelLabel(l))}</option>`).join('');
    this.load(true);
  }

  level() {
    const levels = this.hierarchy().levels;
    const index = Math.max(0, levels.findIndex((l) => l.name === this.$('f-level').value));
    return { index, levels: levels.slice(0, index + 1) };
  }

  async load(reset) {
    if (this.abort) this.abort.abort();
    this.abort = new AbortController();
    if (reset) { this.members = []; this.page = 0; }
    const dim = this.dimension();
    const { index, levels } = this.level();
    const state = this.host.state();
    // Members that have facts in the current view, ignoring this dimension's own filters.
    const others = [...state.cuts, ...state.drills].filter((c) => { const p = parseCut(c); return p && p.dimension !== dim.name; });
    const params = [['hierarchy', this.hierarchy().name], ['depth', index + 1],
      ...others.map((c) => ['cut', c]), ['page', this.page], ['pagesize', MEMBER_PAGE]];
    this.$('f-message').textContent = 'Loading members…';
    try {
      const answer = await this.host.api().members(this.host.model().name, dim.name, params, this.abort.signal);
      const last = levels[levels.length - 1];
      for (const record of answer.data.slice(0, MEMBER_PAGE)) {
        const path = levels.map((l) => record[keyRef(l)]);
        const parents = levels.slice(0, -1).map((l) => record[labelRef(l)]);
        const label = String(record[labelRef(last)] ?? '(none)');
        this.members.push({ path, label, context: parents.join(' › ') });
      }
      this.page += 1;
      this.$('f-more').hidden = answer.data.length < MEMBER_PAGE;
      this.$('f-message').textContent = `${this.members.length} members loaded.`;
      this.showMembers();
    } catch (error) {
      if (error.name === 'AbortError') return;
      this.$('f-message').textContent = describeError(error);
    }
  }

  showMembers() {
    const needle = this.$('f-search').value.trim().toLowerCase();
    const checked = new Set([...this.root.querySelectorAll('#f-members input:checked')].map((i) => i.value));
    const html = [];
    this.members.forEach((m, i) => {
      const text = `${m.label} ${m.context} ${m.path.join(' ')}`.toLowerCase();
      if (needle && !text.includes(needle) && !checked.has(String(i))) return;
      html.push(`<label class="member"><input type="checkbox" value="${i}"${checked.has(String(i)) ? ' checked' : ''}> ${esc(m.label)}${m.context ? ` <span class="context">${esc(m.context)}</span>` : ''}</label>`);
    });
    this.$('f-members').innerHTML = html.join('') || '<p class="hint">No members.</p>';
  }

  excluded() { return this.root.querySelector('input[name="f-mode"]:checked').value === 'exclude'; }

  applyMembers() {
    const picked = [...this.root.querySelectorAll('#f-members input:checked')].map((i) => this.members[Number(i.value)]);
    if (!picked.length) {
      this.$('f-message').textContent = 'Choose at least one member first.';
      return;
    }
    const dim = this.dimension();
    const invert = this.excluded();
    const cut = setCut(dim.name, this.hierarchy().name, picked.map((m) => m.path), invert);
    const label = `${this.host.model().dimensionLabel(dim)} ${invert ? 'is not' : 'is'} ${picked.map((m) => m.label).join(', ')}`;
    this.host.addCut(cut, label);
  }

  applyRange() {
    const from = this.$('f-from').value;
    const to = this.$('f-to').value;
    if (!from && !to) {
      this.$('f-message').textContent = 'Enter a start or an end date.';
      return;
    }
    if (from && to && from > to) {
      this.$('f-message').textContent = 'The start date is after the end date.';
      return;
    }
    const dim = this.dimension();
    const hierarchy = dateHierarchy(this.host.model(), dim);
    const path = (d) => (d ? d.split('-').map((n) => String(Number(n))) : []);
    const cut = rangeCut(dim.name, hierarchy.name, path(from), path(to), this.excluded());
    const label = `${this.host.model().dimensionLabel(dim)} ${this.excluded() ? 'not ' : ''}from ${from || '…'} to ${to || '…'}`;
    this.host.addCut(cut, label);
  }

  applyRelative() {
    const dim = this.dimension();
    const hierarchy = dateHierarchy(this.host.model(), dim);
    const value = this.$('f-relative').value;
    const cut = `${this.excluded() ? '!' : ''}${dim.name}@${hierarchy.name}:${value}`;
    const text = new Map(RELATIVE).get(value);
    this.host.addCut(cut, `${this.host.model().dimensionLabel(dim)} ${this.excluded() ? 'not ' : ''}${text.toLowerCase()}`);
  }
}
