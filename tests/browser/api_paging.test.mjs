// api_paging.test.mjs - web/src/api.js follows page.next to the last page and
// joins the rows: of a plain list, and of the arrays in an object (a ranking,
// an index's results and contributions). fetch is a stub serving pages.
import { test } from 'node:test';
import assert from 'node:assert/strict';

const pages = new Map();
const asked = [];
globalThis.fetch = async (url) => {
  asked.push(url);
  const body = pages.get(url);
  return { status: body ? 200 : 404, json: async () => body ?? { status: 'error', error: { message: 'no page' } } };
};
const { get } = await import(new URL('../../web/src/api.js', import.meta.url));

const page = (data, next, total) => ({ status: 'ok', data, page: { limit: 2, total, next } });

test('a list is read to its last page, every row once and in order', async () => {
  pages.set('/api/v1/units', page([{ code: 'a' }, { code: 'b' }], 'C1', 5));
  pages.set('/api/v1/units?cursor=C1', page([{ code: 'c' }, { code: 'd' }], 'C+2/', 5));
  pages.set('/api/v1/units?cursor=C%2B2%2F', page([{ code: 'e' }], null, 5));
  const units = await get('/api/v1/units');
  assert.deepEqual(units.map((u) => u.code), ['a', 'b', 'c', 'd', 'e']);
});

test('an object page joins its arrays and keeps the rest', async () => {
  pages.set('/api/v1/indices/x?period=2024-Q1', page({ index: 'x', period: '2024-Q1',
    results: [{ unit: 'p1' }], contributions: [{ unit: 'p1' }] }, 'N', 2));
  pages.set('/api/v1/indices/x?period=2024-Q1&cursor=N', page({ index: 'x', period: '2024-Q1',
    results: [{ unit: 'p2' }], contributions: [] }, null, 2));
  const all = await get('/api/v1/indices/x', { period: '2024-Q1' });
  assert.equal(all.index, 'x');
  assert.deepEqual(all.results.map((r) => r.unit), ['p1', 'p2']);
  assert.deepEqual(all.contributions.map((r) => r.unit), ['p1']);
});

test('an answer without page (series) is one request', async () => {
  pages.set('/api/v1/series?unit=p1', { status: 'ok', data: { points: [1, 2] } });
  const before = asked.length;
  assert.deepEqual((await get('/api/v1/series', { unit: 'p1' })).points, [1, 2]);
  assert.equal(asked.length, before + 1);
});
