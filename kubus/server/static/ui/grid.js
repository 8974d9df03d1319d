// Keyboard navigation of the pivot table: one tab stop, arrow keys move between cells
// (roving tabindex), Enter drills down on a member, sorts on a header, lists facts on a value.

function cells(table) { return [...table.rows].map((r) => [...r.cells]); }

function focusCell(cell) {
  const table = cell.closest('table');
  table.querySelectorAll('[tabindex="0"]').forEach((c) => c.setAttribute('tabindex', '-1'));
  cell.setAttribute('tabindex', '0');
  cell.focus();
}

export function attachGrid(wrap, actions) {
  wrap.addEventListener('click', (e) => {
    const drill = e.target.closest('button.drill');
    if (drill) { actions.drill(drill); return; }
    const sort = e.target.closest('button.sort');
    if (sort) { actions.sort(sort); return; }
    const td = e.target.closest('td[data-c]');
    if (td) actions.facts(td);
  });
  wrap.addEventListener('keydown', (e) => {
    const cell = e.target.closest('th, td');
    const table = e.target.closest('table');
    if (!cell || !table) return;
    if (e.key === 'Enter' || e.key === ' ') {
      const button = cell.querySelector('button');
      if (button) button.click();
      else if (cell.matches('td[data-c]')) actions.facts(cell);
      e.preventDefault();
      return;
    }
    const moves = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
    let move = moves[e.key];
    const grid = cells(table);
    const r = cell.parentElement.rowIndex;
    const c = cell.cellIndex;
    if (e.key === 'Home') move = [0, -c];
    if (e.key === 'End') move = [0, grid[r].length - 1 - c];
    if (!move) return;
    const row = grid[Math.min(Math.max(r + move[0], 0), grid.length - 1)];
    const target = row[Math.min(Math.max(c + move[1], 0), row.length - 1)];
    if (target) focusCell(target);
    e.preventDefault();
  });
  // After every render the first body cell is the tab stop.
  new MutationObserver(() => {
    const first = wrap.querySelector('tbody th, tbody td');
    if (first) first.setAttribute('tabindex', '0');
  }).observe(wrap, { childList: true });
}
