// checks.js - consistency check warnings (docs/CONFIG.md, "checks"): the
// violations of /api/v1/checks whose period overlaps the selected one, in a
// warning panel, and a mark (⚠) on the units and indicators they are about.
import { get } from './api.js';
import { parse } from './period.js';
import { getLang } from './i18n.js';

const text = {
  zh: {
    title: '数据核查警告', unit: '单位', indicator: '指标', period: '期别', value: '数值',
    expected: '核对值', check: '核查规则', detail: '说明', action: '处理', flag: '已入库并标记',
    reject: '已拒收', none: '本期无核查警告', count: (n, all) => `本期 ${n} 条（共 ${all} 条）`,
    mark: '数据核查警告',
  },
  en: {
    title: 'Check warnings', unit: 'Unit', indicator: 'Indicator', period: 'Period', value: 'Value',
    expected: 'Expected', check: 'Check', detail: 'Detail', action: 'Action', flag: 'stored, flagged',
    reject: 'refused', none: 'no check warnings in this period',
    count: (n, all) => `${n} in this period (${all} in all)`, mark: 'check warning',
  },
};
const l = (key) => text[getLang() === 'en' ? 'en' : 'zh'][key];
export const MARK = '⚠';

// First and last month (as year * 12 + month - 1) a period covers.
function months(period) {
  const p = parse(period);
  if (!p) return null;
  const k = { Y: 12, Q: 3, M: 1 }[p.f];
  const first = p.y * 12 + (p.n - 1) * k;
  return [first, first + k - 1];
}

// The violations whose period overlaps period (a month in a quarter, the year
// around it), flags first.
export async function warnings(period) {
  const all = await get('/api/v1/checks');
  const want = months(period);
  const shown = all.filter((v) => {
    const m = months(v.period);
    return m && want && m[0] <= want[1] && want[0] <= m[1];
  });
  shown.sort((a, b) => (a.action === b.action ? 0 : a.action === 'flag' ? -1 : 1));
  return { all, shown };
}

const num = (v) => (v == null ? '—' : String(Number(v.toPrecision(12))));

// Fills the warning panel (#check-note, #check-table) with w.shown.
export function renderWarnings(w, fillTable, unitName) {
  document.getElementById('check-title').textContent = l('title');
  document.getElementById('check-note').textContent =
    w.shown.length ? l('count')(w.shown.length, w.all.length) : l('none');
  document.getElementById('check-card').classList.toggle('warn', w.shown.length > 0);
  fillTable(document.getElementById('check-table'),
    [l('unit'), l('indicator'), l('period'), l('value'), l('expected'), l('check'), l('detail'), l('action')],
    w.shown.map((v) => ({
      key: `${v.check}|${v.unit}|${v.indicator}|${v.period}`,
      cells: [{ text: `${MARK} ${unitName(v.unit)}`, cls: 'text warn' }, { text: v.indicator, cls: 'text' },
        { text: v.period, cls: 'text' }, num(v.value), num(v.expected),
        { text: `${v.check} (${v.rule})`, cls: 'text' }, { text: v.detail, cls: 'text' },
        { text: l(v.action) ?? v.action, cls: v.action === 'reject' ? 'text bad' : 'text' }],
    })));
}

// Marks the rows of table whose data-key is a unit (or, with unit, an
// indicator of that unit) that has a warning: a ⚠ before the cell's text.
export function markRows(table, w, cell, unit) {
  const hit = new Set(w.shown.filter((v) => !unit || v.unit === unit).map((v) => (unit ? v.indicator : v.unit)));
  for (const row of table.querySelectorAll('tr[data-key]')) {
    if (!hit.has(row.dataset.key)) continue;
    row.classList.add('warn');
    row.title = l('mark');
    const td = row.cells[cell];
    td.textContent = `${MARK} ${td.textContent}`;
  }
}
