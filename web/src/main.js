// main.js - the dashboard: selectors (index, period, park, language) and the
// views, all from the JSON API of parkstatd (same origin).
import { get, tryGet } from './api.js';
import { range } from './period.js';
import { t, setLang, getLang } from './i18n.js';
import { statusEntry } from './status.js';
import { echarts, drawTrend, drawRanking, drawRadar, resizeAll, arrow } from './charts.js';
import { warnings, renderWarnings, markRows, MARK } from './checks.js';

const $ = (id) => document.getElementById(id);
const state = { indices: [], units: new Map(), indicators: new Map(), index: null, period: null, park: null };
const fix = (v, d = 2) => (v == null || Number.isNaN(v) ? '—' : Number(v).toFixed(d));

// Dimension ids of the shipped configurations; others show their id.
const dimNames = {
  innovation: ['创新能力', 'Innovation'], industry: ['产业发展', 'Industry'],
  openness: ['开放合作', 'Openness'], green: ['绿色集约', 'Green'], talent: ['人才支撑', 'Talent'],
  scale: ['规模与效益', 'Scale'], dynamism: ['创新与开放活力', 'Dynamism'],
  economy: ['经济实力', 'Economy'], platforms: ['载体与主体', 'Platforms'],
  intensive: ['集约发展', 'Intensive use'], rd: ['研发投入', 'R&D'], output: ['创新产出', 'Output'],
  growth: ['成长性', 'Growth'],
};
const dimName = (id) => dimNames[id]?.[getLang() === 'en' ? 1 : 0] ?? id;

// A table from a header row and rows of cells: text, or {text, cls}.
function fillTable(table, head, rows) {
  table.replaceChildren();
  const tr = table.insertRow();
  for (const h of head) {
    const th = document.createElement('th');
    th.textContent = h;
    tr.append(th);
  }
  for (const row of rows) {
    const r = table.insertRow();
    if (row.key) r.dataset.key = row.key;
    for (const c of row.cells) {
      const td = r.insertCell();
      const cell = typeof c === 'object' && c !== null ? c : { text: c };
      td.textContent = cell.text ?? '—';
      if (cell.cls) td.className = cell.cls;
    }
  }
}

function option(select, value, label) {
  const o = document.createElement('option');
  o.value = value;
  o.textContent = label;
  select.append(o);
}

const indexInfo = () => state.indices.find((i) => i.id === state.index);
const periods = () => { const i = indexInfo(); return i ? range(i.first_period, i.last_period) : []; };

async function fillSelectors() {
  const selI = $('sel-index'), selP = $('sel-period'), selU = $('sel-park');
  selI.replaceChildren();
  for (const i of state.indices) option(selI, i.id, i.id);
  selI.value = state.index;
  selP.replaceChildren();
  for (const p of periods().slice().reverse()) option(selP, p, p);
  selP.value = state.period;
  const ranking = await get(`/api/v1/rankings/${encodeURIComponent(state.index)}`, { period: state.period });
  const parks = ranking.ranking.map((r) => r.unit).sort();
  if (!parks.includes(state.park)) state.park = parks[0];
  selU.replaceChildren();
  for (const u of parks) option(selU, u, `${u} ${state.units.get(u)?.name ?? ''}`);
  selU.value = state.park;
}

async function renderTrend() {
  const ps = periods();
  const rankings = await Promise.all(ps.map((p) =>
    tryGet(`/api/v1/rankings/${encodeURIComponent(state.index)}`, { period: p })));
  const byUnit = new Map();
  const city = ps.map((p, k) => {
    const rows = (rankings[k]?.ranking ?? []).filter((r) => r.score != null);
    for (const r of rows) {
      if (!byUnit.has(r.unit)) byUnit.set(r.unit, new Array(ps.length).fill(null));
      byUnit.get(r.unit)[k] = r.score;
    }
    return rows.length ? rows.reduce((s, r) => s + r.score, 0) / rows.length : null;
  });
  const lines = [{ name: t('city'), data: city, bold: true }];
  for (const [u, data] of [...byUnit].sort())
    lines.push({ name: state.units.get(u)?.name ?? u, data, bold: u === state.park });
  drawTrend(ps, lines);
}

// A rank of the sensitivity analysis: whole, or a quantile between two ranks
// with 2 decimals (as the bulletin writes it).
const rankText = (v) => (v == null ? '—' : Number.isInteger(v) ? String(v) : v.toFixed(2));
// "3 (2–5)": the nominal rank with its 5-95 % interval over the runs.
const rankInterval = (s) => (s ? `${rankText(s.rank)} (${rankText(s.p05)}–${rankText(s.p95)})` : '—');

// The rank uncertainty of the period (the API's defaults), or null when the
// API has none (404: no data in the period, 400: too large an analysis).
const sensitivity = () => tryGet(`/api/v1/indices/${encodeURIComponent(state.index)}/sensitivity`,
  { period: state.period });

async function renderRanking() {
  const [data, sens] = await Promise.all([
    get(`/api/v1/rankings/${encodeURIComponent(state.index)}`, { period: state.period }), sensitivity()]);
  const byUnit = new Map((sens?.units ?? []).map((u) => [u.unit, u]));
  drawRanking(data.ranking);
  fillTable($('ranking-table'), [t('rank'), t('name'), t('score'), t('change'), t('rankInterval'), t('median')],
    data.ranking.map((r) => ({
      key: r.unit,
      cells: [r.rank ?? '—', { text: r.name ?? r.unit, cls: 'text' }, fix(r.score),
        { text: arrow(r.rank_change) || '—', cls: r.rank_change > 0 ? 'up' : r.rank_change < 0 ? 'down' : 'flat' },
        rankInterval(byUnit.get(r.unit)), rankText(byUnit.get(r.unit)?.median)],
    })));
  renderSensitivity(sens);
}

const assumptions = ['weights', 'normalisation', 'aggregation', 'imputation'];

// The first-order sensitivity of the ranks to each assumption, or why there is none.
function renderSensitivity(sens) {
  $('sens-note').textContent = sens
    ? `${t('sensRuns')}: ${sens.runs} · ${t('sensSeed')}: ${sens.seed} · ${t('meanShift')}: ${fix(sens.mean_shift, 3)}`
    : t('noSens');
  fillTable($('sens-table'), [t('assumption'), t('firstOrder')], sens
    ? assumptions.map((a) => ({
      key: a, cells: [{ text: t(a), cls: 'text' }, fix(sens.first_order?.[a], 3)],
    }))
    : []);
}

async function renderRadar(all) {
  const total = (n) => n === '' || n === state.index;
  const dims = [...new Set(all.results.filter((r) => !total(r.node)).map((r) => r.node))].sort();
  const rows = dims.map((d) => {
    const scores = all.results.filter((r) => r.node === d && r.score != null);
    const mine = scores.find((r) => r.unit === state.park);
    const mean = scores.length ? scores.reduce((s, r) => s + r.score, 0) / scores.length : null;
    return { id: d, name: dimName(d), park: mine?.score ?? null, mean };
  });
  drawRadar(rows, state.units.get(state.park)?.name ?? state.park);
}

const incomplete = (p) => p && (p.coverage != null && p.coverage < 1 || /incomplete|missing/.test(p.flags ?? ''));

async function renderIndicators(all) {
  const contribs = all.contributions.filter((c) => c.unit === state.park);
  const q = { unit: state.park, from: state.period, to: state.period };
  const codes = new Set();
  const rows = await Promise.all(contribs.map(async (c) => {
    const [val, yoy] = await Promise.all([
      tryGet('/api/v1/series', { ...q, indicator: c.indicator, transform: 'value' }),
      tryGet('/api/v1/series', { ...q, indicator: c.indicator, transform: 'yoy' })]);
    const v = val?.points?.[0], g = yoy?.points?.[0];
    const info = state.indicators.get(c.indicator);
    const name = getLang() === 'en' ? c.indicator : info?.name ?? c.indicator;
    if (v?.status) codes.add(v.status);
    return {
      key: c.indicator,
      cells: [{ text: name, cls: 'text' }, { text: info?.measure ?? '', cls: 'text' },
        // the observation's status code after the value ("12.30 p"), in the legend below
        v?.status ? `${fix(v.value, info?.decimals ?? 2)} ${v.status}` : fix(v?.value, info?.decimals ?? 2),
        { text: g?.value == null ? '—' : `${fix(g.value, 1)}%`, cls: g?.value > 0 ? 'up' : g?.value < 0 ? 'down' : '' },
        fix(c.contribution, 3),
        { text: v?.coverage == null ? '—' : `${Math.round(v.coverage * 100)}%`, cls: incomplete(v) ? 'bad' : '' },
        { text: v ? (v.flags || '') + (incomplete(v) ? ` (${t('incomplete')})` : '') : '', cls: 'text' }],
    };
  }));
  fillTable($('indicator-table'), [t('indicator'), t('measure'), t('value'), t('yoy'),
    t('contribution'), t('coverage'), t('flags')], rows);
  const legend = [...codes].sort().map((s) => statusEntry(s, getLang()));
  $('status-legend').textContent = legend.length ? `${t('statusLegend')}: ${legend.join(' · ')}` : '';
}

async function renderSources() {
  const sources = await get('/api/v1/sources');
  fillTable($('source-table'), [t('source'), t('outcome'), t('lastAttempt'), t('lastSuccess'),
    t('failures'), t('error')], sources.map((s) => ({
    key: s.source,
    cells: [{ text: s.source, cls: 'text' },
      { text: `${s.failing ? t('failing') : t('ok')} (${s.last_outcome ?? '—'})`, cls: s.failing ? 'text bad' : 'text good' },
      s.last_attempt ?? '—', s.last_success ?? '—', s.consecutive_failures, { text: s.last_error ?? '', cls: 'text' }],
  })));
}

// The check warnings of the period: the panel, and a mark on the parks and
// the chosen park's indicators they are about (checks.js).
async function renderChecks() {
  const w = await warnings(state.period).catch(() => ({ all: [], shown: [] }));
  renderWarnings(w, fillTable, (u) => `${u} ${state.units.get(u)?.name ?? ''}`.trim());
  markRows($('ranking-table'), w, 1);
  markRows($('indicator-table'), w, 0, state.park);
  const units = new Set(w.shown.map((v) => v.unit));
  for (const o of $('sel-park').options) if (units.has(o.value)) o.textContent = `${MARK} ${o.textContent}`;
}

async function render() {
  $('status').textContent = '…';
  await fillSelectors();
  const all = await get(`/api/v1/indices/${encodeURIComponent(state.index)}`, { period: state.period });
  await Promise.all([renderTrend(), renderRanking(), renderRadar(all), renderIndicators(all), renderSources()]);
  await renderChecks();
  $('status').textContent = `${t('loaded')}: ${state.index} ${state.period} ${state.park}`;
  document.body.dataset.ready = `${state.index}|${state.period}|${state.park}`;
}

function fail(e) {
  $('status').textContent = String(e.message ?? e);
  console.error(e);
}

async function start() {
  const [indices, units, indicators] = await Promise.all([
    get('/api/v1/indices'), get('/api/v1/units'), get('/api/v1/indicators')]);
  state.indices = indices;
  for (const u of units) state.units.set(u.code, u);
  for (const i of indicators) state.indicators.set(i.code, i);
  const q = new URLSearchParams(location.search);
  const want = q.get('index');
  state.index = indices.find((i) => i.id === want)?.id ?? indices.find((i) => i.id === 'monitoring')?.id ?? indices[0]?.id;
  if (!state.index) { $('status').textContent = t('none'); return; }
  state.period = periods().includes(q.get('period')) ? q.get('period') : indexInfo().last_period;
  state.park = q.get('park');
  $('sel-index').onchange = (e) => { state.index = e.target.value; state.period = indexInfo().last_period; render().catch(fail); };
  $('sel-period').onchange = (e) => { state.period = e.target.value; render().catch(fail); };
  $('sel-park').onchange = (e) => { state.park = e.target.value; render().catch(fail); };
  $('lang').onclick = () => { setLang(getLang() === 'en' ? 'zh' : 'en'); render().catch(fail); };
  window.addEventListener('resize', resizeAll);
  setLang(getLang());
  await render();
}

window.parkstat = { echarts, state };
start().catch(fail);
