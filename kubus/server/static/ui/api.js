// The Slicer HTTP API client: the only way the page talks to a server (docs/slicer-api.md §1).
// Every call is a plain GET; errors become ApiError with the server's own message.

export class ApiError extends Error {
  constructor(status, type, message, url) {
    super(message);
    this.status = status;
    this.type = type;
    this.url = url;
  }
}

// Both Slicer error shapes: nested {"error": {"type", "message"}} and flat
// {"error": type, "message"}; anything else (a proxy's HTML page) is summarised.
export function errorFromBody(status, text, url) {
  let body = null;
  try { body = JSON.parse(text); } catch { body = null; }
  if (body && typeof body.error === 'object' && body.error !== null) {
    return new ApiError(status, body.error.type || 'error', body.error.message || `HTTP ${status}`, url);
  }
  if (body && typeof body.error === 'string') {
    return new ApiError(status, body.error, body.message || body.error, url);
  }
  const snippet = text.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 200);
  return new ApiError(status, 'http', snippet || `HTTP ${status}`, url);
}

export function describeError(error) {
  if (error instanceof ApiError) {
    const where = error.status ? ` (HTTP ${error.status}, ${error.type})` : '';
    return `The server refused the request: ${error.message}${where}`;
  }
  if (error && error.name === 'TypeError') {
    return `The server could not be reached: ${error.message}`;
  }
  return String(error && error.message ? error.message : error);
}

export class Slicer {
  constructor(base) {
    this.base = base.endsWith('/') ? base : `${base}/`;
  }

  // params: an array of [name, value] pairs (names may repeat, as cut does).
  url(path, params = []) {
    const query = new URLSearchParams();
    for (const [name, value] of params) {
      if (value !== undefined && value !== null && value !== '') query.append(name, String(value));
    }
    const qs = query.toString();
    return new URL(`${path}${qs ? `?${qs}` : ''}`, new URL(this.base, document.baseURI)).href;
  }

  async get(path, params = [], signal = undefined) {
    const url = this.url(path, params);
    const response = await fetch(url, { signal, headers: { Accept: 'application/json' } });
    const text = await response.text();
    if (!response.ok) throw errorFromBody(response.status, text, url);
    try {
      return JSON.parse(text);
    } catch {
      throw new ApiError(response.status, 'format', 'The server sent a response that is not JSON', url);
    }
  }

  info(signal) { return this.get('info', [], signal); }

  cubes(signal) { return this.get('cubes', [], signal); }

  model(cube, signal) { return this.get(`cube/${encodeURIComponent(cube)}/model`, [], signal); }

  aggregate(cube, params, signal) {
    return this.get(`cube/${encodeURIComponent(cube)}/aggregate`, params, signal);
  }

  // All cells of a drilldown, page by page (json_record_limit caps one response), pages
  // fetched in parallel once the first one tells the total.
  async aggregateAll(cube, params, limit, signal, maxCells = 200000) {
    const first = await this.aggregate(cube, [...params, ['page', 0], ['pagesize', limit]], signal);
    const total = first.total_cell_count ?? first.cells.length;
    if (first.cells.length >= total || first.cells.length < limit) return { ...first, truncated: false };
    const wanted = Math.min(total, maxCells);
    const pages = [];
    for (let page = 1; page * limit < wanted; page += 1) {
      pages.push(this.aggregate(cube, [...params, ['page', page], ['pagesize', limit]], signal));
    }
    const rest = await Promise.all(pages);
    const cells = first.cells.concat(...rest.map((r) => r.cells));
    return { ...first, cells, truncated: total > maxCells };
  }

  // /cell: the labels of the members a cut names (slicer-api.md §1.11).
  cell(cube, cuts, signal) {
    return this.get(`cube/${encodeURIComponent(cube)}/cell`, cuts.map((c) => ['cut', c]), signal);
  }

  members(cube, dimension, params, signal) {
    return this.get(`cube/${encodeURIComponent(cube)}/members/${encodeURIComponent(dimension)}`, params, signal);
  }

  facts(cube, params, signal) {
    return this.get(`cube/${encodeURIComponent(cube)}/facts`, params, signal);
  }

  factsCsvUrl(cube, cuts) {
    return this.url(`cube/${encodeURIComponent(cube)}/facts`,
      [['format', 'csv'], ...cuts.map((c) => ['cut', c])]);
  }
}
