import type { InitTime } from './init-time.js';

/** A horizontal bar chart of init times, as a standalone SVG. */
export function initTimeChart(times: InitTime[], caption: string): string {
  const barHeight = 22;
  const gap = 8;
  const labelWidth = 170;
  const chartWidth = 460;
  const top = 34;
  const max = Math.max(...times.map((time) => time.readyMs));
  const height = top + times.length * (barHeight + gap) + 30;
  const color = (kind: InitTime['kind']) => (kind === 'function' ? '#2f6fdf' : kind === 'driver' ? '#9a6fd0' : '#9aa3ad');
  const bars = times
    .map((time, index) => {
      const y = top + index * (barHeight + gap);
      const width = Math.max(2, (time.readyMs / max) * chartWidth);
      return [
        `<text x="${labelWidth - 8}" y="${y + 15}" text-anchor="end">${escape(time.name)}</text>`,
        `<rect x="${labelWidth}" y="${y}" width="${width.toFixed(1)}" height="${barHeight}" fill="${color(time.kind)}" rx="3"/>`,
        `<text x="${(labelWidth + width + 6).toFixed(1)}" y="${y + 15}">${time.readyMs} ms</text>`,
      ].join('');
    })
    .join('\n');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${labelWidth + chartWidth + 90}" height="${height}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="#fff"/>
<text x="10" y="20" font-size="14" font-weight="bold">Init time: fresh Node process to handler ready (median)</text>
${bars}
<text x="10" y="${height - 10}" fill="#555">${escape(caption)}</text>
</svg>
`;
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
