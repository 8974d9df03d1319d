// Pure state changes for the axes: pivoting, levels, hierarchies, drill-down and roll-up.
// Each function takes the current state (and the resolved view) and returns the changes.

import { parseCut, pointCut } from './cuts.js';

// Drill paths of `dimension` cut back to `depth` members (removed at depth 0).
function truncateDrills(drills, dimension, depth) {
  return drills.map((d) => {
    const p = parseCut(d);
    if (p.dimension !== dimension || p.paths[0].length <= depth) return d;
    return depth ? pointCut(p.dimension, p.hierarchy, p.paths[0].slice(0, depth)) : null;
  }).filter(Boolean);
}

function replaced(list, i, item) {
  const copy = [...list];
  copy[i] = item;
  return copy;
}

export function changeHierarchy(state, axis, i, hierarchy) {
  const raw = state[axis][i];
  return { [axis]: replaced(state[axis], i, { dimension: raw.dimension, hierarchy, level: null }),
    drills: truncateDrills(state.drills, raw.dimension, 0), page: 0 };
}

export function changeLevel(state, view, axis, i, level) {
  const raw = state[axis][i];
  const item = view[axis][i];
  const depth = item.hierarchy.levels.findIndex((l) => l.name === level);
  return { [axis]: replaced(state[axis], i, { ...raw, hierarchy: item.hierarchy.name, level }),
    drills: truncateDrills(state.drills, raw.dimension, depth), page: 0 };
}

// The buttons of an axis item: move to the other axis, up, remove.
export function axisAction(state, axis, i, act) {
  const other = axis === 'rows' ? 'cols' : 'rows';
  const list = [...state[axis]];
  const [item] = list.splice(i, 1);
  if (act === 'move') return { [axis]: list, [other]: [...state[other], item], sort: '', sortcol: '', page: 0 };
  if (act === 'up' && i > 0) {
    list.splice(i - 1, 0, item);
    return { [axis]: list, page: 0 };
  }
  if (act === 'remove') {
    return { [axis]: list, drills: truncateDrills(state.drills, item.dimension, 0), sort: '', sortcol: '', page: 0 };
  }
  return null;
}

// Put `dimension` on an axis (taking it off the other one if it was there).
export function addDimension(state, axis, dimension) {
  const rest = (list) => list.filter((r) => r.dimension !== dimension);
  const item = { dimension, hierarchy: null, level: null };
  return { rows: axis === 'rows' ? [...rest(state.rows), item] : rest(state.rows),
    cols: axis === 'cols' ? [...rest(state.cols), item] : rest(state.cols),
    sort: '', sortcol: '', page: 0 };
}

// Drill into `member` of row item k: cut to it and show the next level.
export function drillDown(state, view, k, member) {
  const item = view.rows[k];
  const drills = truncateDrills(state.drills, item.dim.name, 0);
  drills.push(pointCut(item.dim.name, item.hierarchy.name, member.path));
  const next = item.hierarchy.levels[item.levelIndex + 1].name;
  return { rows: replaced(state.rows, k, { dimension: item.dim.name, hierarchy: item.hierarchy.name, level: next }),
    drills, page: 0 };
}

// Roll an axis item up to `depth` members of its drill path (0: the top level, no cut).
export function rollUp(state, view, axis, i, depth) {
  const item = view[axis][i];
  const level = item.hierarchy.levels[depth].name;
  return { [axis]: replaced(state[axis], i, { dimension: item.dim.name, hierarchy: item.hierarchy.name, level }),
    drills: truncateDrills(state.drills, item.dim.name, depth), page: 0 };
}
