// The cube metadata of /cube/<c>/model (docs/slicer-api.md §1.6) with the look-ups the page needs.
// Level key, label and order attributes are attribute *names* (COMPAT); cells use *refs*.

export function humanize(name) {
  const text = String(name).replace(/_/g, ' ');
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export class CubeModel {
  constructor(json) {
    this.json = json;
    this.name = json.name;
    this.label = json.label || humanize(json.name);
    this.aggregates = json.aggregates || [];
    this.dimensions = json.dimensions || [];
    this.labels = new Map();
    this.numeric = new Set([...(json.measures || []), ...this.aggregates].map((m) => m.ref || m.name));
    for (const item of [...(json.measures || []), ...(json.details || []), ...this.aggregates]) {
      this.labels.set(item.ref || item.name, item.label || humanize(item.name));
    }
    for (const dim of this.dimensions) {
      for (const level of dim.levels) {
        for (const attr of level.attributes) {
          this.labels.set(attr.ref, attr.label || level.label || humanize(attr.name));
        }
      }
    }
  }

  aggregate(name) { return this.aggregates.find((a) => a.name === name) || null; }

  aggregateLabel(name) {
    const agg = this.aggregate(name);
    return agg ? (agg.label || humanize(name)) : name;
  }

  countAggregate() {
    const agg = this.aggregates.find((a) => a.function === 'count');
    return agg ? agg.name : null;
  }

  dimension(name) { return this.dimensions.find((d) => d.name === name) || null; }

  dimensionLabel(dim) { return dim.label || humanize(dim.name); }

  hierarchies(dim) { return dim.hierarchies || []; }

  hierarchy(dim, name) {
    const wanted = name || dim.default_hierarchy_name || 'default';
    const found = this.hierarchies(dim).find((h) => h.name === wanted);
    if (!found) return null;
    return { ...found, levels: found.levels.map((l) => dim.levels.find((x) => x.name === l)) };
  }

  attributeLabel(ref) { return this.labels.get(ref) || ref; }

  isMeasure(ref) { return this.numeric.has(ref); }
}

function refOf(level, name) {
  const attr = level.attributes.find((a) => a.name === name) || level.attributes[0];
  return attr.ref;
}

export function keyRef(level) { return refOf(level, level.key); }
export function labelRef(level) { return refOf(level, level.label_attribute || level.key); }
export function orderRef(level) { return refOf(level, level.order_attribute || level.key); }
export function levelLabel(level) { return level.label || humanize(level.name); }

export function isTime(dim) { return dim.role === 'time'; }

// A resolved axis item: one dimension on rows or columns, drilled to `levelIndex` of `hierarchy`.
export function resolveItem(model, raw) {
  const dim = model.dimension(raw.dimension);
  if (!dim) return { problem: `the cube has no dimension '${raw.dimension}'` };
  const hierarchy = model.hierarchy(dim, raw.hierarchy);
  if (!hierarchy) return { problem: `dimension '${dim.name}' has no hierarchy '${raw.hierarchy}'` };
  let levelIndex = 0;
  if (raw.level) {
    levelIndex = hierarchy.levels.findIndex((l) => l.name === raw.level);
    if (levelIndex < 0) {
      return { problem: `level '${raw.level}' is not in hierarchy '${hierarchy.name}' of dimension '${dim.name}'` };
    }
  }
  return { dim, hierarchy, levelIndex, level: hierarchy.levels[levelIndex] };
}

export function drilldownString(item) {
  return `${item.dim.name}@${item.hierarchy.name}:${item.level.name}`;
}

// The member of `item` in a result cell: its key path from the top level and its label.
export function memberOf(cell, item) {
  const levels = item.hierarchy.levels.slice(0, item.levelIndex + 1);
  const path = levels.map((l) => cell[keyRef(l)]);
  const labels = levels.map((l) => {
    const v = cell[labelRef(l)];
    return v === null || v === undefined ? '(none)' : String(v);
  });
  return { path, labels, label: labels[labels.length - 1] };
}
