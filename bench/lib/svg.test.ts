import { describe, expect, it } from 'vitest';
import { barChart, lineChart } from './svg.js';

describe('report charts', () => {
  it('draws one bar per figure with its value, escapes labels and marks the target', () => {
    const svg = barChart({
      title: 'a < b & c',
      unit: 'req/s',
      bars: [
        { label: 'Sảnh', value: 900 },
        { label: 'nginx', value: 1800 },
      ],
      target: { value: 1000, label: 'target' },
    });
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg).toContain('a &lt; b &amp; c');
    expect(svg.match(/<rect x="250"/g)).toHaveLength(2);
    expect(svg).toContain('900 req/s');
    expect(svg).toContain('1,800 req/s');
    expect(svg).toContain('stroke-dasharray');
  });

  it('draws a path per series within the plot and a reference line', () => {
    const svg = lineChart({
      title: 't',
      xLabel: 's',
      yLabel: 'v',
      series: [
        {
          name: 'active',
          points: [
            [0, 1],
            [10, 12],
            [20, 8],
          ],
        },
      ],
      references: [{ value: 12, label: 'maxActive 12' }],
    });
    const path = /<path d="([^"]+)"/.exec(svg)?.[1] ?? '';
    const coordinates = [...path.matchAll(/[ML]([\d.]+),([\d.]+)/g)].map((m) => [Number(m[1]), Number(m[2])]);
    expect(coordinates).toHaveLength(3);
    for (const [x, y] of coordinates) {
      expect(x).toBeGreaterThanOrEqual(64);
      expect(x).toBeLessThanOrEqual(700);
      expect(y).toBeGreaterThanOrEqual(44);
      expect(y).toBeLessThanOrEqual(264);
    }
    expect(svg).toContain('maxActive 12');
  });
});
