// The facts view: the records under one cell of the pivot (drill-through), page by page.

import { esc, formatValue } from './pivot.js';

export const FACTS_PAGE = 50;

export async function loadFacts(api, model, view, signal) {
  const cuts = [...view.cuts, ...view.fcuts];
  const params = [...cuts.map((c) => ['cut', c]), ['page', view.fpage], ['pagesize', FACTS_PAGE]];
  const count = model.countAggregate();
  const [records, summary] = await Promise.all([
    api.facts(view.cube, params, signal),
    count ? api.aggregate(view.cube, [['aggregates', count], ...cuts.map((c) => ['cut', c])], signal) : null,
  ]);
  const total = summary ? summary.summary[count] : null;
  return { records, total, csvUrl: api.factsCsvUrl(view.cube, cuts) };
}

export function renderFacts(facts, model, view, describe) {
  const { records, total } = facts;
  const columns = records.length ? Object.keys(records[0]) : [];
  const pages = total === null ? null : Math.max(1, Math.ceil(total / FACTS_PAGE));
  const first = view.fpage * FACTS_PAGE + 1;
  const head = columns.map((c) => `<th scope="col">${esc(c === '__fact_key__' ? '#' : model.attributeLabel(c))}</th>`).join('');
  // Measures are formatted as numbers; keys, years and codes are shown as they are.
  const show = (c, v) => esc(model.isMeasure(c) ? formatValue(v) : (v ?? ''));
  const body = records.map((r) => `<tr>${columns.map((c, i) => (i === 0
    ? `<th scope="row">${show(c, r[c])}</th>` : `<td${model.isMeasure(c) ? ' class="num"' : ''}>${show(c, r[c])}</td>`)).join('')}</tr>`).join('');
  const hasNext = pages === null ? records.length >= FACTS_PAGE : view.fpage + 1 < pages;
  const where = view.fcuts.length ? view.fcuts.map(describe).join('; ') : 'the whole view';
  return `
    <div class="facts-head">
      <h2 id="facts-title">Facts of ${esc(where)}</h2>
      <button type="button" id="facts-back">Back to the pivot</button>
      <a id="facts-csv" href="${esc(facts.csvUrl)}" download>Download these facts as CSV</a>
    </div>
    <p id="facts-count" class="hint">${total === null ? '' : `${total} facts; `}showing ${records.length ? `${first}–${first + records.length - 1}` : 'none'}.</p>
    <div class="table-wrap"><table class="facts" id="facts-table" aria-labelledby="facts-title"><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table></div>
    <nav class="pager" aria-label="Fact pages">
      <button type="button" id="facts-prev"${view.fpage > 0 ? '' : ' disabled'}>Previous page</button>
      <span id="facts-page">Page ${view.fpage + 1}${pages === null ? '' : ` of ${pages}`}</span>
      <button type="button" id="facts-next"${hasNext ? '' : ' disabled'}>Next page</button>
    </nav>`;
}
