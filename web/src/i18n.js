// i18n.js - the dashboard's labels in Chinese (default) and English.
const text = {
  zh: {
    title: '高新区监测发展指数', index: '指数', period: '期别', park: '园区', trend: '指数走势',
    ranking: '园区排名', radar: '分项得分', indicators: '指标', sources: '数据源状态',
    city: '全市（园区平均）', rank: '名次', score: '得分', change: '名次变化', name: '名称',
    indicator: '指标', measure: '计量单位', value: '数值', yoy: '同比增长', contribution: '对得分变化的贡献',
    coverage: '覆盖率', flags: '标记', source: '数据源', lastSuccess: '最近成功', lastAttempt: '最近尝试',
    failures: '连续失败', outcome: '结果', error: '错误', ok: '正常', failing: '失败',
    parkAvg: '园区平均', incomplete: '数据不完整', loaded: '已加载', lang: 'English', none: '无',
    rankInterval: '名次（5–95%区间）', median: '中位名次', sensitivity: '排名不确定性与敏感性',
    assumption: '假设', firstOrder: '一阶敏感度指数', weights: '权重', normalisation: '标准化方法',
    aggregation: '汇总方法', imputation: '缺失值插补', sensRuns: '模拟次数', sensSeed: '随机种子',
    meanShift: '名次平均变动', noSens: '本期无敏感性分析结果', statusLegend: '数据状态',
  },
  en: {
    title: 'High-tech Park Monitoring Index', index: 'Index', period: 'Period', park: 'Park',
    trend: 'Index trend', ranking: 'Park ranking', radar: 'Dimension scores', indicators: 'Indicators',
    sources: 'Source health', city: 'City (mean of parks)', rank: 'Rank', score: 'Score',
    change: 'Rank change', name: 'Name', indicator: 'Indicator', measure: 'Measure', value: 'Value',
    yoy: 'YoY growth', contribution: 'Contribution to change', coverage: 'Coverage', flags: 'Flags',
    source: 'Source', lastSuccess: 'Last success', lastAttempt: 'Last attempt', failures: 'Failures',
    outcome: 'Outcome', error: 'Error', ok: 'OK', failing: 'failing', parkAvg: 'Park mean',
    incomplete: 'incomplete data', loaded: 'loaded', lang: '中文', none: 'none',
    rankInterval: 'Rank (5–95 %)', median: 'Median rank', sensitivity: 'Rank uncertainty and sensitivity',
    assumption: 'Assumption', firstOrder: 'First-order index', weights: 'Weights',
    normalisation: 'Normalisation', aggregation: 'Aggregation', imputation: 'Imputation',
    sensRuns: 'Monte Carlo runs', sensSeed: 'seed', meanShift: 'mean rank shift',
    noSens: 'no sensitivity analysis for this period', statusLegend: 'Status',
  },
};

let lang = new URLSearchParams(location.search).get('lang') === 'en' ? 'en' : 'zh';

export const t = (key) => text[lang][key] ?? key;
export const getLang = () => lang;
export function setLang(l) {
  lang = l;
  document.documentElement.lang = l === 'en' ? 'en' : 'zh-CN';
  for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  document.getElementById('lang').textContent = t('lang');
}
