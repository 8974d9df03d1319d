// The Cubes cut grammar (docs/slicer-api.md §2.1): building and reading cut strings.

const SPECIAL = /[\\!|:;,-]/g;

export function escapeValue(value) {
  return String(value).replace(SPECIAL, (m) => `\\${m}`);
}

function unescape(text) {
  return text.replace(/\\([\\!|:;,-])/g, '$1');
}

// Split on every unescaped occurrence of one separator character.
function splitUnescaped(text, separator) {
  const parts = [];
  let current = '';
  for (let i = 0; i < text.length; i += 1) {
    const ch = text[i];
    if (ch === '\\' && i + 1 < text.length) {
      current += ch + text[i + 1];
      i += 1;
    } else if (ch === separator) {
      parts.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  parts.push(current);
  return parts;
}

export function pathString(path) {
  return path.map(escapeValue).join(',');
}

function spec(dimension, hierarchy, invert) {
  return `${invert ? '!' : ''}${dimension}${hierarchy ? `@${hierarchy}` : ''}`;
}

export function pointCut(dimension, hierarchy, path, invert = false) {
  return `${spec(dimension, hierarchy, invert)}:${pathString(path)}`;
}

export function setCut(dimension, hierarchy, paths, invert = false) {
  return `${spec(dimension, hierarchy, invert)}:${paths.map(pathString).join(';')}`;
}

export function rangeCut(dimension, hierarchy, from, to, invert = false) {
  return `${spec(dimension, hierarchy, invert)}:${pathString(from)}-${pathString(to)}`;
}

// {invert, dimension, hierarchy, type: point|set|range, paths | from/to} or null if malformed.
export function parseCut(text) {
  const parts = splitUnescaped(text, ':');
  if (parts.length !== 2) return null;
  const match = /^(!?)(\w+)(?:@(\w+))?$/.exec(parts[0]);
  if (!match) return null;
  const cut = { invert: match[1] === '!', dimension: match[2], hierarchy: match[3] || null };
  const body = parts[1];
  const path = (p) => (p === '' ? [] : splitUnescaped(p, ',').map(unescape));
  const sets = splitUnescaped(body, ';');
  if (sets.length > 1) return { ...cut, type: 'set', paths: sets.map(path) };
  const range = splitUnescaped(body, '-');
  if (range.length === 2) return { ...cut, type: 'range', from: path(range[0]), to: path(range[1]) };
  if (range.length > 2) return null;
  return { ...cut, type: 'point', paths: [path(body)] };
}

export function toggleInvert(text) {
  return text.startsWith('!') ? text.slice(1) : `!${text}`;
}
