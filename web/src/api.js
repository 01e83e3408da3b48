// api.js - the JSON API client: GET with the {"status","data"} envelope
// unwrapped, and a small cache so switching selectors does not refetch.
const cache = new Map();

export async function get(path, params = {}) {
  const qs = new URLSearchParams(Object.entries(params).filter(([, v]) => v != null && v !== ''));
  const url = qs.toString() ? `${path}?${qs}` : path;
  if (!cache.has(url)) {
    cache.set(url, fetch(url, { headers: { Accept: 'application/json' } }).then(async (r) => {
      const body = await r.json();
      if (body.status !== 'ok') throw new Error(`${url}: ${body.error?.message ?? r.status}`);
      return body.data;
    }));
    cache.get(url).catch(() => cache.delete(url));
  }
  return cache.get(url);
}

// Results that may fail (a series the API cannot derive): null instead.
export async function tryGet(path, params) {
  try { return await get(path, params); } catch { return null; }
}
