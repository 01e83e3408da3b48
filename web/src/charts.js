// charts.js - the four ECharts views (trend, ranking, radar) on the canvas
// renderer, built from the tree-shaken ECharts core so the bundle stays small.
import * as echarts from 'echarts/core';
import { BarChart, LineChart, RadarChart } from 'echarts/charts';
import {
  GridComponent, LegendComponent, TooltipComponent, RadarComponent, DataZoomComponent,
} from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';
import { t } from './i18n.js';

echarts.use([BarChart, LineChart, RadarChart, GridComponent, LegendComponent, TooltipComponent,
  RadarComponent, DataZoomComponent, CanvasRenderer]);

export { echarts };

function chart(id) {
  const el = document.getElementById(id);
  return echarts.getInstanceByDom(el) ?? echarts.init(el, null, { renderer: 'canvas' });
}

const fix = (v, d = 2) => (v == null || Number.isNaN(v) ? '—' : Number(v).toFixed(d));

// periods: x axis; lines: [{name, data (by period, null for gaps), bold}].
export function drawTrend(periods, lines) {
  chart('chart-trend').setOption({
    animation: false,
    tooltip: { trigger: 'axis', valueFormatter: (v) => fix(v) },
    legend: { type: 'scroll', top: 0 },
    grid: { left: 48, right: 24, top: 48, bottom: 32 },
    xAxis: { type: 'category', data: periods },
    yAxis: { type: 'value', scale: true },
    series: lines.map((l) => ({
      name: l.name, type: 'line', data: l.data, connectNulls: false, symbolSize: l.bold ? 6 : 3,
      lineStyle: { width: l.bold ? 3 : 1, opacity: l.bold ? 1 : 0.45 }, z: l.bold ? 3 : 2,
    })),
  }, true);
}

export const arrow = (c) => (c == null ? '' : c > 0 ? `▲${c}` : c < 0 ? `▼${-c}` : '–');

// rows: the API's ranking rows, best first.
export function drawRanking(rows) {
  const ranked = rows.filter((r) => r.score != null);
  const names = ranked.map((r) => `${r.rank ?? '-'}. ${r.name ?? r.unit}`);
  chart('chart-ranking').setOption({
    animation: false,
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, valueFormatter: (v) => fix(v) },
    grid: { left: 8, right: 72, top: 8, bottom: 24, containLabel: true },
    xAxis: { type: 'value', scale: true },
    yAxis: { type: 'category', inverse: true, data: names },
    series: [{
      type: 'bar', name: t('score'), data: ranked.map((r) => r.score),
      itemStyle: { color: '#2f6fb0' },
      label: {
        show: true, position: 'right',
        formatter: (p) => `${fix(p.value, 1)} ${arrow(ranked[p.dataIndex].rank_change)}`,
      },
    }],
  }, true);
}

// dims: [{id, name, park, mean}]
export function drawRadar(dims, parkName) {
  const max = Math.max(...dims.flatMap((d) => [d.park ?? 0, d.mean ?? 0])) * 1.1 || 100;
  chart('chart-radar').setOption({
    animation: false,
    tooltip: {},
    legend: { bottom: 0 },
    radar: { indicator: dims.map((d) => ({ name: d.name, max })), radius: '55%', center: ['50%', '48%'] },
    series: [{
      type: 'radar',
      data: [
        { name: parkName, value: dims.map((d) => d.park), areaStyle: { opacity: 0.25 } },
        { name: t('parkAvg'), value: dims.map((d) => d.mean), lineStyle: { type: 'dashed' } },
      ],
    }],
  }, true);
}

export function resizeAll() {
  for (const id of ['chart-trend', 'chart-ranking', 'chart-radar'])
    echarts.getInstanceByDom(document.getElementById(id))?.resize();
}
