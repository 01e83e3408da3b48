// dashboard.test.mjs - the dashboard in a real browser (Debian's chromium
// driven by playwright-core): the ranking shown is the API's, every chart has
// drawn, switching period and language works, and the console stays clean.
// Env: PARKSTAT_URL (the daemon), PARKSTAT_WEB_DIR (web/, for node_modules),
// PARKSTAT_ARTIFACTS (where the screenshots go), CHROMIUM (default /usr/bin/chromium).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { mkdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const require = createRequire(join(process.env.PARKSTAT_WEB_DIR ?? '../../web', 'package.json'));
const { chromium } = require('playwright-core');
const base = process.env.PARKSTAT_URL;
const artifacts = process.env.PARKSTAT_ARTIFACTS ?? tmpdir();
let browser, page;
const problems = [];

async function api(path) {
  const r = await fetch(base + path);
  assert.equal(r.status, 200, path);
  const body = await r.json();
  assert.equal(body.status, 'ok');
  return body.data;
}

before(async () => {
  assert.ok(base, 'PARKSTAT_URL is set');
  mkdirSync(artifacts, { recursive: true });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true, // playwright also gives it a new empty user data dir
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  page = await browser.newPage({ viewport: { width: 1400, height: 1800 } });
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`requestfailed: ${r.url()}`));
  page.on('response', (r) => { if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`); });
  // Any request off the daemon would mean a CDN or external asset.
  await page.route('**/*', (route) =>
    route.request().url().startsWith(base) ? route.continue() : (problems.push(`external: ${route.request().url()}`), route.abort()));
});

after(async () => { await browser?.close(); });

const ready = (want) => page.waitForFunction((w) => document.body.dataset.ready === w, want, { timeout: 30000 });

async function shownRanking() {
  return page.$$eval('#ranking-table tr[data-key]', (rows) =>
    rows.map((r) => ({ unit: r.dataset.key, rank: r.cells[0].textContent, score: r.cells[2].textContent })));
}

function expectRanking(shown, ranking) {
  assert.equal(shown.length, ranking.length);
  ranking.forEach((r, i) => {
    assert.equal(shown[i].unit, r.unit, `row ${i}`);
    assert.equal(shown[i].rank, String(r.rank ?? '—'));
    assert.equal(shown[i].score, r.score == null ? '—' : r.score.toFixed(2));
  });
}

// The rank interval column against the API's sensitivity analysis of the
// period: "nominal (p05–p95)" and the median, whole ranks as such, quantiles
// between two ranks with 2 decimals; and the first-order indices shown.
const rankText = (v) => (v == null ? '—' : Number.isInteger(v) ? String(v) : v.toFixed(2));

async function expectIntervals(period, ranking) {
  const sens = await api(`/api/v1/indices/monitoring/sensitivity?period=${period}`);
  const byUnit = new Map(sens.units.map((u) => [u.unit, u]));
  const shown = await page.$$eval('#ranking-table tr[data-key]', (rows) =>
    rows.map((r) => ({ unit: r.dataset.key, interval: r.cells[4].textContent, median: r.cells[5].textContent })));
  assert.equal(shown.length, ranking.length);
  let wide = 0;
  for (const s of shown) {
    const u = byUnit.get(s.unit);
    assert.ok(u, `${s.unit} in the sensitivity answer`);
    assert.equal(s.interval, `${rankText(u.rank)} (${rankText(u.p05)}–${rankText(u.p95)})`, s.unit);
    assert.equal(s.median, rankText(u.median), s.unit);
    wide += u.p05 !== u.p95;
  }
  assert.ok(wide > 0, `${period}: some interval is wider than one rank`);
  const first = await page.$$eval('#sens-table tr[data-key]', (rows) =>
    rows.map((r) => [r.dataset.key, r.cells[1].textContent]));
  assert.deepEqual(first, ['weights', 'normalisation', 'aggregation', 'imputation'].map((a) =>
    [a, sens.first_order[a] == null ? '—' : sens.first_order[a].toFixed(3)]));
  assert.ok(first.some(([, v]) => v !== '—'), 'some first-order index');
  assert.match(await page.textContent('#sens-note'), new RegExp(`${sens.runs}\\b`));
}

// Series data of every chart, and whether its canvas has non-white pixels.
async function chartState() {
  return page.evaluate(() => {
    const out = {};
    for (const id of ['chart-trend', 'chart-ranking', 'chart-radar']) {
      const el = document.getElementById(id);
      const inst = window.parkstat.echarts.getInstanceByDom(el);
      const canvas = el.querySelector('canvas');
      let inked = 0;
      if (canvas) {
        const px = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
        for (let i = 0; i < px.length; i += 4 * 16)
          if (px[i + 3] > 0 && (px[i] < 240 || px[i + 1] < 240 || px[i + 2] < 240)) inked++;
      }
      out[id] = {
        exists: !!inst,
        series: inst ? inst.getOption().series.map((s) => (s.data ?? []).length) : [],
        inked,
        ranking: id === 'chart-ranking' && inst ? inst.getOption().series[0].data : null,
      };
    }
    return out;
  });
}

test('the dashboard shows the API ranking, draws every chart, keeps the console clean', async () => {
  const indices = await api('/api/v1/indices');
  const monitoring = indices.find((i) => i.id === 'monitoring');
  assert.ok(monitoring, 'the demo has the monitoring index');
  const ranking = (await api('/api/v1/rankings/monitoring')).ranking;
  const res = await page.goto(base + '/');
  assert.equal(res.status(), 200);
  await ready(`monitoring|${monitoring.last_period}|${ranking.map((r) => r.unit).sort()[0]}`);

  expectRanking(await shownRanking(), ranking);
  await expectIntervals(monitoring.last_period, ranking);
  const charts = await chartState();
  for (const [id, c] of Object.entries(charts)) {
    assert.ok(c.exists, `${id}: an ECharts instance`);
    assert.ok(c.series.length > 0 && c.series.every((n) => n > 0), `${id}: series with data ${c.series}`);
    assert.ok(c.inked > 100, `${id}: the canvas has drawn (${c.inked} sampled pixels)`);
  }
  // The trend has the city line plus one per ranked park, each over every period.
  assert.equal(charts['chart-trend'].series.length, ranking.length + 1);
  assert.deepEqual(charts['chart-ranking'].ranking, ranking.filter((r) => r.score != null).map((r) => r.score));
  // The trend compares like with like (same quarter of the base year): in every
  // year after the base, each line's Q4 stays within 10 points of its Q1; the
  // demo's flows have strong seasons, which a mean base would draw as a sawtooth.
  const trend = await page.evaluate(() => {
    const o = window.parkstat.echarts.getInstanceByDom(document.getElementById('chart-trend')).getOption();
    return { periods: o.xAxis[0].data, series: o.series.map((s) => ({ name: s.name, data: s.data })) };
  });
  let pairs = 0;
  for (const line of trend.series) {
    for (const y of [2022, 2023, 2024, 2025]) {
      const q1 = line.data[trend.periods.indexOf(`${y}-Q1`)];
      const q4 = line.data[trend.periods.indexOf(`${y}-Q4`)];
      if (q1 == null || q4 == null) continue;
      pairs++;
      assert.ok(Math.abs(q4 - q1) < 10, `trend ${line.name} ${y}: Q1 ${q1}, Q4 ${q4}`);
    }
  }
  assert.ok(pairs >= 4 * ranking.length, `trend: ${pairs} Q1/Q4 pairs drawn`);
  const indicatorRows = await page.$$eval('#indicator-table tr[data-key]', (r) => r.length);
  assert.ok(indicatorRows > 0, 'indicator rows');
  const sourceRows = await page.$$eval('#source-table tr[data-key]', (r) => r.map((x) => x.dataset.key));
  assert.deepEqual(sourceRows, (await api('/api/v1/sources')).map((s) => s.source));
  await page.screenshot({ path: join(artifacts, 'dashboard.png'), fullPage: true });
  assert.ok(statSync(join(artifacts, 'dashboard.png')).size > 10000);
  assert.deepEqual(problems, []);
});

test('switching period, park and language re-renders from the API', async () => {
  const period = '2023-Q3';
  await page.selectOption('#sel-period', period);
  const ranking = (await api(`/api/v1/rankings/monitoring?period=${period}`)).ranking;
  const first = ranking.map((r) => r.unit).sort()[0];
  await ready(`monitoring|${period}|${first}`);
  expectRanking(await shownRanking(), ranking);
  await expectIntervals(period, ranking);
  await page.selectOption('#sel-park', 'p03');
  await ready(`monitoring|${period}|p03`);
  const radar = await page.evaluate(() => window.parkstat.echarts
    .getInstanceByDom(document.getElementById('chart-radar')).getOption().series[0].data[0].value);
  const dims = (await api(`/api/v1/indices/monitoring?period=${period}&unit=p03`)).results
    .filter((r) => r.node !== 'monitoring' && r.node !== '').sort((a, b) => a.node.localeCompare(b.node));
  assert.deepEqual(radar, dims.map((d) => d.score));
  await page.click('#lang');
  await page.waitForFunction(() => document.querySelector('h1').textContent.includes('Monitoring'));
  await ready(`monitoring|${period}|p03`);
  assert.equal(await page.textContent('#ranking-table th'), 'Rank');
  await page.screenshot({ path: join(artifacts, 'dashboard-en.png'), fullPage: true });
  assert.deepEqual(problems, []);
});

test('a period without a sensitivity analysis still shows the ranking', async () => {
  // The endpoint answers 404 (no data) or 400 (too large): the ranking stays,
  // the interval cells say "—" and the sensitivity card says why.
  const period = '2024-Q1';
  const sensUrl = (url) => url.pathname.endsWith('/sensitivity');
  await page.route(sensUrl, (route) => route.fulfill({
    status: 404, contentType: 'application/json',
    body: JSON.stringify({ status: 'error', error: { code: 404, message: 'no data' } }),
  }));
  const seen = problems.length;
  await page.goto(`${base}/?period=${period}&park=p03`);
  await ready(`monitoring|${period}|p03`);
  const ranking = (await api(`/api/v1/rankings/monitoring?period=${period}`)).ranking;
  expectRanking(await shownRanking(), ranking);
  const cells = await page.$$eval('#ranking-table tr[data-key]', (rows) =>
    rows.map((r) => [r.cells[4].textContent, r.cells[5].textContent]));
  assert.ok(cells.length > 0 && cells.every(([i, m]) => i === '—' && m === '—'), JSON.stringify(cells));
  assert.equal(await page.$$eval('#sens-table tr[data-key]', (r) => r.length), 0);
  assert.equal(await page.textContent('#sens-note'), '本期无敏感性分析结果');
  await page.unroute(sensUrl);
  // the only problems are the refused request itself and Chromium's note of it
  const extra = problems.splice(seen);
  assert.ok(extra.some((p) => /^HTTP 404: .*\/sensitivity\?/.test(p)), extra.join('\n'));
  assert.ok(extra.every((p) => /^HTTP 404: .*\/sensitivity\?|^console: Failed to load resource.* 404/.test(p)),
    extra.join('\n'));
  assert.deepEqual(problems, []);
});

test('a consistency check violation shows as a warning: the zone example', async () => {
  // test_dashboard.sh imports p03's 2023-Q3 report of 25 new high-tech
  // enterprises, 11 above and 15 below the size threshold; the import's own
  // checks flag it (check zone_total: 25 against 11 + 15 = 26).
  const period = '2023-Q3';
  const flagged = (await api('/api/v1/checks')).filter((v) => v.check === 'zone_total');
  assert.equal(flagged.length, 1, JSON.stringify(flagged));
  assert.deepEqual([flagged[0].unit, flagged[0].period, flagged[0].value, flagged[0].expected, flagged[0].action],
    ['p03', period, 25, 26, 'flag']);
  const name = (await api(`/api/v1/rankings/monitoring?period=${period}`)).ranking.find((r) => r.unit === 'p03').name;
  await page.goto(`${base}/?period=${period}&park=p03&lang=en`);
  await ready(`monitoring|${period}|p03`);
  const rows = await page.$$eval('#check-table tr[data-key]', (r) =>
    r.map((x) => [...x.cells].map((c) => c.textContent)));
  assert.deepEqual(rows, [[`⚠ p03 ${name}`, 'hitech_new', period, '25', '26', 'zone_total (sum)',
    'total is not the sum of its parts', 'stored, flagged']]);
  assert.equal(await page.textContent('#check-note'), '1 in this period (1 in all)');
  assert.ok(await page.$eval('#check-card', (c) => c.classList.contains('warn')));
  // the mark on the park: its ranking row and its option in the park selector
  const marked = await page.$$eval('#ranking-table tr.warn', (r) => r.map((x) => [x.dataset.key, x.cells[1].textContent]));
  assert.deepEqual(marked, [['p03', `⚠ ${name}`]]);
  assert.match(await page.$eval('#sel-park option[value="p03"]', (o) => o.textContent), /^⚠ p03/);
  assert.equal(await page.$$eval('#sel-park option', (o) => o.filter((x) => x.textContent.startsWith('⚠')).length), 1);
  await page.screenshot({ path: join(artifacts, 'dashboard-checks.png'), fullPage: true });
  // a period without violations: no warning, no mark
  await page.selectOption('#sel-period', '2023-Q4');
  await ready('monitoring|2023-Q4|p03');
  assert.equal(await page.textContent('#check-note'), 'no check warnings in this period');
  assert.equal(await page.$$eval('#check-table tr[data-key]', (r) => r.length), 0);
  assert.equal(await page.$$eval('#ranking-table tr.warn', (r) => r.length), 0);
  assert.deepEqual(problems, []);
});

test('the latest month carries its status: "p" after each value, and the legend', async () => {
  // The demo's data mark every collected value of 2025-12 provisional ("p",
  // examples/demo/README.md); the computed profit_margin has no status.
  const vitality = (await api('/api/v1/indices')).find((i) => i.id === 'vitality');
  assert.equal(vitality?.last_period, '2025-12');
  const status = async (ind, period) => (await api(
    `/api/v1/observations?unit=p01&indicator=${ind}&from=${period}&to=${period}`))[0]?.status ?? null;
  const shown = async (period) => {
    await page.goto(`${base}/?index=vitality&period=${period}&park=p01`);
    await ready(`vitality|${period}|p01`);
    return page.$$eval('#indicator-table tr[data-key]', (r) => r.map((x) => [x.dataset.key, x.cells[2].textContent]));
  };
  let marked = 0;
  for (const [key, text] of await shown('2025-12')) {
    const want = await status(key, '2025-12');
    assert.equal(want, key === 'profit_margin' ? null : 'p', `${key}: the observation's status`);
    assert.match(text, want ? /^-?[\d,.]+ p$/ : /^-?[\d,.]+$/, `${key}: ${text}`);
    marked += want === 'p';
  }
  assert.ok(marked >= 7, `${marked} values marked p`);
  assert.equal(await page.textContent('#status-legend'), '数据状态: p = 初步数');
  await page.screenshot({ path: join(artifacts, 'dashboard-status.png'), fullPage: true });
  // a month before it: no status, no legend
  for (const [key, text] of await shown('2025-11')) assert.match(text, /^-?[\d,.]+$/, `2025-11 ${key}: ${text}`);
  assert.equal(await page.textContent('#status-legend'), '');
  assert.deepEqual(problems, []);
});
