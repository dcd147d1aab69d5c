/**
 * Minimal SVG charts for the benchmark report: horizontal bars (figures against targets) and
 * lines (a quantity over time). Self-contained files, no scripts, readable in any browser.
 */

const FONT = 'font-family="system-ui, sans-serif"';
const COLOURS = ['#1f6feb', '#d1242f', '#1a7f37', '#9a6700', '#8250df', '#57606a'];

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function niceMax(value: number): number {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

function label(value: number): string {
  if (Math.abs(value) >= 1000) return `${Math.round(value).toLocaleString('en-US')}`;
  if (Number.isInteger(value)) return String(value);
  return value.toFixed(Math.abs(value) < 10 ? 2 : 1);
}

/** One bar. */
export interface Bar {
  label: string;
  value: number;
}

/** Horizontal bars with an optional target line. */
export function barChart(options: { title: string; unit: string; bars: Bar[]; target?: { value: number; label: string } }): string {
  const width = 720;
  const left = 250;
  const right = 90;
  const rowHeight = 34;
  const top = 44;
  const height = top + options.bars.length * rowHeight + 34;
  const max = niceMax(Math.max(...options.bars.map((b) => b.value), options.target?.value ?? 0) * 1.05);
  const x = (v: number) => left + ((width - left - right) * Math.max(0, v)) / max;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ${FONT} font-size="13">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="12" y="24" font-size="15" font-weight="600">${esc(options.title)}</text>`,
  ];
  options.bars.forEach((bar, i) => {
    const y = top + i * rowHeight;
    parts.push(`<text x="${left - 8}" y="${y + 17}" text-anchor="end">${esc(bar.label)}</text>`);
    parts.push(`<rect x="${left}" y="${y + 4}" width="${Math.max(1, x(bar.value) - left).toFixed(1)}" height="20" fill="${COLOURS[i % COLOURS.length]}"/>`);
    parts.push(`<text x="${(x(bar.value) + 6).toFixed(1)}" y="${y + 19}">${esc(`${label(bar.value)} ${options.unit}`)}</text>`);
  });
  const axisY = top + options.bars.length * rowHeight + 4;
  parts.push(`<line x1="${left}" y1="${top}" x2="${left}" y2="${axisY}" stroke="#57606a"/>`);
  parts.push(`<text x="${left}" y="${axisY + 18}" fill="#57606a" font-size="11">0</text>`);
  parts.push(`<text x="${width - right}" y="${axisY + 18}" fill="#57606a" font-size="11" text-anchor="end">${esc(label(max))}</text>`);
  if (options.target) {
    const tx = x(options.target.value).toFixed(1);
    parts.push(`<line x1="${tx}" y1="${top - 4}" x2="${tx}" y2="${axisY}" stroke="#000" stroke-dasharray="5 4"/>`);
    parts.push(`<text x="${tx}" y="${top - 8}" text-anchor="middle" font-size="11">${esc(options.target.label)}</text>`);
  }
  parts.push('</svg>');
  return parts.join('\n');
}

/** One line of a line chart: points as [x, y]. */
export interface Series {
  name: string;
  points: readonly (readonly [number, number])[];
}

/** Lines over a shared x axis, with optional horizontal reference lines (limits). */
export function lineChart(options: {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  references?: { value: number; label: string }[];
}): string {
  const width = 720;
  const height = 320;
  const left = 64;
  const right = 20;
  const top = 44;
  const bottom = 56;
  const xs = options.series.flatMap((s) => s.points.map(([px]) => px));
  const ys = options.series.flatMap((s) => s.points.map(([, py]) => py));
  const xMin = xs.length ? Math.min(...xs) : 0;
  const xMax = xs.length ? Math.max(...xs, xMin + 1) : 1;
  const yMax = niceMax(Math.max(...ys, ...(options.references ?? []).map((r) => r.value), 0) * 1.08);
  const x = (v: number) => left + ((width - left - right) * (v - xMin)) / (xMax - xMin);
  const y = (v: number) => top + (height - top - bottom) * (1 - v / yMax);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ${FONT} font-size="12">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="12" y="24" font-size="15" font-weight="600">${esc(options.title)}</text>`,
  ];
  for (let i = 0; i <= 4; i++) {
    const v = (yMax * i) / 4;
    parts.push(`<line x1="${left}" y1="${y(v).toFixed(1)}" x2="${width - right}" y2="${y(v).toFixed(1)}" stroke="#eaeef2"/>`);
    parts.push(`<text x="${left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end" fill="#57606a">${esc(label(v))}</text>`);
  }
  parts.push(`<text x="${left}" y="${height - bottom + 18}" fill="#57606a">${esc(label(xMin))}</text>`);
  parts.push(`<text x="${width - right}" y="${height - bottom + 18}" text-anchor="end" fill="#57606a">${esc(label(xMax))}</text>`);
  parts.push(`<text x="${(left + width - right) / 2}" y="${height - bottom + 18}" text-anchor="middle" fill="#57606a">${esc(options.xLabel)}</text>`);
  parts.push(`<text x="14" y="${top - 8}" fill="#57606a">${esc(options.yLabel)}</text>`);
  (options.references ?? []).forEach((ref, i) => {
    const ry = y(ref.value).toFixed(1);
    const [lx, anchor] = i % 2 === 0 ? [width - right - 4, 'end'] : [left + 4, 'start'];
    parts.push(`<line x1="${left}" y1="${ry}" x2="${width - right}" y2="${ry}" stroke="#000" stroke-dasharray="5 4"/>`);
    parts.push(`<text x="${lx}" y="${(y(ref.value) - 5).toFixed(1)}" text-anchor="${anchor}" font-size="11">${esc(ref.label)}</text>`);
  });
  options.series.forEach((s, i) => {
    if (s.points.length === 0) return;
    const d = s.points.map(([px, py], k) => `${k === 0 ? 'M' : 'L'}${x(px).toFixed(1)},${y(py).toFixed(1)}`).join(' ');
    parts.push(`<path d="${d}" fill="none" stroke="${COLOURS[i % COLOURS.length]}" stroke-width="2"/>`);
    const lx = left + 10 + i * 170;
    parts.push(`<rect x="${lx}" y="${height - 22}" width="12" height="4" fill="${COLOURS[i % COLOURS.length]}"/>`);
    parts.push(`<text x="${lx + 18}" y="${height - 16}">${esc(s.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}
