import type { InitTime } from './init-time.js';

/**
 * A horizontal bar chart of init times, as a standalone SVG: one group of bars per bundle, one bar
 * per Node.js (the first solid, the others lighter), each labelled with its time and Node.js major.
 */
export function initTimeChart(times: InitTime[], caption: string): string {
  const barHeight = 14;
  const barGap = 2;
  const groupGap = 10;
  const chartWidth = 460;
  const top = 52;
  const nodes = [...new Set(times.map((time) => time.node))];
  const names = [...new Set(times.map((time) => time.name))];
  // Room for the longest name at about 7 px a character (12 px sans-serif).
  const labelWidth = Math.max(170, ...names.map((name) => name.length * 7 + 16));
  const groupHeight = nodes.length * (barHeight + barGap) - barGap;
  const max = Math.max(...times.map((time) => time.readyMs));
  const height = top + names.length * (groupHeight + groupGap) + 30;
  const color = (kind: InitTime['kind']) => (kind === 'function' ? '#2f6fdf' : kind === 'driver' ? '#9a6fd0' : '#9aa3ad');
  const major = (node: string) => /^v(\d+)\./.exec(node)?.[1] ?? node;
  const bars = names
    .map((name, groupIndex) => {
      const groupTop = top + groupIndex * (groupHeight + groupGap);
      const label = `<text x="${labelWidth - 8}" y="${groupTop + groupHeight / 2 + 4}" text-anchor="end">${escape(name)}</text>`;
      const rows = nodes.map((node, nodeIndex) => {
        const time = times.find((candidate) => candidate.name === name && candidate.node === node);
        if (!time) return '';
        const y = groupTop + nodeIndex * (barHeight + barGap);
        const width = Math.max(2, (time.readyMs / max) * chartWidth);
        return [
          `<rect x="${labelWidth}" y="${y}" width="${width.toFixed(1)}" height="${barHeight}" fill="${color(time.kind)}" fill-opacity="${nodeIndex === 0 ? 1 : 0.5}" rx="2"/>`,
          `<text x="${(labelWidth + width + 6).toFixed(1)}" y="${y + 11}">${time.readyMs} ms · Node ${escape(major(node))}</text>`,
        ].join('');
      });
      return [label, ...rows].join('');
    })
    .join('\n');
  const legend = nodes.map((node, index) => `${index === 0 ? 'solid' : 'light'}: Node.js ${node}`).join('   ');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${labelWidth + chartWidth + 130}" height="${height}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="#fff"/>
<text x="10" y="20" font-size="14" font-weight="bold">Init time: fresh Node process to handler ready (median)</text>
<text x="10" y="38" fill="#555">${escape(legend)}</text>
${bars}
<text x="10" y="${height - 10}" fill="#555">${escape(caption)}</text>
</svg>
`;
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
