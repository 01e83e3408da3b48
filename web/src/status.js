// status.js - the names of observation status codes for the legend under
// the values that carry one (docs/API.md, "Observation status"): SDMX
// CL_OBS_STATUS (upper case) and Eurostat's flags (lower case); a code
// that is neither is shown as it is.
const names = {
  A: ['正常值', 'normal value'], B: ['序列中断', 'break in series'], E: ['估计值', 'estimated'],
  F: ['预测值', 'forecast'], I: ['插补值', 'imputed'], M: ['缺失（不存在）', 'missing, cannot exist'],
  P: ['初步数', 'provisional'], S: ['罢工等特殊事件', 'strike or special event'],
  U: ['可靠性低', 'low reliability'],
  b: ['时间序列中断', 'break in time series'], c: ['保密', 'confidential'],
  d: ['定义不同', 'definition differs'], e: ['估计值', 'estimated'], f: ['预测值', 'forecast'],
  n: ['不显著', 'not significant'], p: ['初步数', 'provisional'], r: ['修订值', 'revised'],
  s: ['欧盟统计局估计', 'Eurostat estimate'], u: ['可靠性低', 'low reliability'],
  z: ['不适用', 'not applicable'],
};

// "p = provisional" for code in lang ('zh' or 'en'); a code without a name
// stands alone.
export function statusEntry(code, lang) {
  const n = Object.prototype.hasOwnProperty.call(names, code) ? names[code][lang === 'en' ? 1 : 0] : null;
  return n ? `${code} = ${n}` : code;
}
