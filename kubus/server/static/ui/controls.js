// The query controls: cube choice, aggregates, axis items (rows/columns), breadcrumbs, pager.

import { parseCut } from './cuts.js';
import { esc } from './pivot.js';
import { levelLabel } from './model.js';

export function renderCubes(select, cubes, current) {
  select.innerHTML = cubes.map((c) => `<option value="${esc(c.name)}"${c.name === current ? ' selected' : ''}>${esc(c.label || c.name)}</option>`).join('');
  if (!cubes.length) select.innerHTML = '<option value="">No cubes</option>';
}

export function renderAggregates(box, model, selected) {
  box.innerHTML = model.aggregates.map((a) => `<label class="choice"><input type="checkbox" name="agg" value="${esc(a.name)}"${selected.includes(a.name) ? ' checked' : ''}> ${esc(model.aggregateLabel(a.name))}</label>`).join('');
}

export function renderDimensionChoice(select, model) {
  select.innerHTML = model.dimensions.map((d) => `<option value="${esc(d.name)}">${esc(model.dimensionLabel(d))}</option>`).join('');
}

function itemHtml(model, axis, item, i) {
  const name = model.dimensionLabel(item.dim);
  const id = `${axis}-${i}`;
  const hierarchies = model.hierarchies(item.dim);
  const other = axis === 'rows' ? 'columns' : 'rows';
  const hier = hierarchies.length > 1
    ? `<label for="${id}-hier" class="sr-only">Hierarchy of ${esc(name)}</label><select id="${id}-hier" data-act="hier">${hierarchies.map((h) => `<option value="${esc(h.name)}"${h.name === item.hierarchy.name ? ' selected' : ''}>${esc(h.label || h.name)}</option>`).join('')}</select>`
    : '';
  const levels = item.hierarchy.levels.map((l, k) => `<option value="${esc(l.name)}"${k === item.levelIndex ? ' selected' : ''}>${esc(levelLabel(l))}</option>`).join('');
  return `<li class="axis-item" data-axis="${axis}" data-i="${i}"><span class="name">${esc(name)}</span>${hier}`
    + `<label for="${id}-level" class="sr-only">Level of ${esc(name)}</label><select id="${id}-level" data-act="level">${levels}</select>`
    + `<button type="button" data-act="move" aria-label="Move ${esc(name)} to ${other}">To ${other}</button>`
    + `<button type="button" data-act="up" aria-label="Move ${esc(name)} up"${i === 0 ? ' disabled' : ''}>↑</button>`
    + `<button type="button" data-act="remove" aria-label="Remove ${esc(name)}">✕</button></li>`;
}

export function renderAxis(box, model, axis, items) {
  const title = axis === 'rows' ? 'Rows' : 'Columns';
  box.innerHTML = `<h3 id="${axis}-title">${title}</h3>`
    + (items.length ? `<ol aria-labelledby="${axis}-title">${items.map((it, i) => itemHtml(model, axis, it, i)).join('')}</ol>` : '<p class="hint">None</p>');
}

// One trail per drilled axis item: All › member › … › current level; each step rolls up.
export function renderBreadcrumbs(nav, model, items, drills, sample) {
  const trails = [];
  items.forEach(({ axis, i, item }) => {
    const drill = drills.find((d) => { const p = parseCut(d); return p && p.dimension === item.dim.name; });
    const path = drill ? parseCut(drill).paths[0] : [];
    if (!path.length && item.levelIndex === 0) return;
    const name = model.dimensionLabel(item.dim);
    const labels = sample(item) || path;
    const steps = [`<li><button type="button" class="crumb" data-axis="${axis}" data-i="${i}" data-depth="0">All ${esc(name)}</button></li>`];
    path.forEach((key, j) => {
      const text = labels[j] !== undefined ? labels[j] : key;
      steps.push(`<li><button type="button" class="crumb" data-axis="${axis}" data-i="${i}" data-depth="${j + 1}">${esc(text)}</button></li>`);
    });
    steps.push(`<li aria-current="location">${esc(levelLabel(item.level))}</li>`);
    trails.push(`<ol class="trail" aria-label="${esc(name)} drill path">${steps.join('')}</ol>`);
  });
  nav.innerHTML = trails.join('');
  nav.hidden = !trails.length;
}

export function renderPager(nav, top, page, total) {
  if (!top || total === null) {
    nav.hidden = true;
    nav.innerHTML = '';
    return;
  }
  const first = page * top + 1;
  const last = Math.min(total, (page + 1) * top);
  nav.hidden = false;
  nav.innerHTML = `<button type="button" id="rows-prev"${page > 0 ? '' : ' disabled'}>Previous ${top}</button>`
    + `<span id="rows-range">Rows ${total ? first : 0}–${last} of ${total}</span>`
    + `<button type="button" id="rows-next"${last < total ? '' : ' disabled'}>Next ${top}</button>`;
}
