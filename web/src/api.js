// api.js - the JSON API client: GET with the {"status","data"} envelope
// unwrapped, every page of a paged list followed (page.next) and joined, and
// a small cache so switching selectors does not refetch.
const cache = new Map();

async function fetchData(url) {
  const r = await fetch(url, { headers: { Accept: 'application/json' } });
  const body = await r.json();
  if (body.status !== 'ok') throw new Error(`${url}: ${body.error?.message ?? r.status}`);
  return body;
}

// Appends the rows of a later page: the array itself, or each array member
// of an object (a ranking's rows, an index's results and contributions).
function join(data, more) {
  if (Array.isArray(data)) return data.concat(more);
  const out = { ...data };
  for (const [k, v] of Object.entries(more)) if (Array.isArray(v)) out[k] = (data[k] ?? []).concat(v);
  return out;
}

async function fetchAll(url) {
  let body = await fetchData(url);
  let data = body.data;
  for (let n = 0; body.page?.next && n < 10000; n++) {
    const sep = url.includes('?') ? '&' : '?';
    body = await fetchData(`${url}${sep}cursor=${encodeURIComponent(body.page.next)}`);
    data = join(data, body.data);
  }
  return data;
}

export async function get(path, params = {}) {
  const qs = new URLSearchParams(Object.entries(params).filter(([, v]) => v != null && v !== ''));
  const url = qs.toString() ? `${path}?${qs}` : path;
  if (!cache.has(url)) {
    cache.set(url, fetchAll(url));
    cache.get(url).catch(() => cache.delete(url));
  }
  return cache.get(url);
}

// Results that may fail (a series the API cannot derive): null instead.
export async function tryGet(path, params) {
  try { return await get(path, params); } catch { return null; }
}
