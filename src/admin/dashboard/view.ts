import type { RoomConfig } from '../../config/schema.js';
import { formatHourMinute, formatWait, type Lang } from '../../platform/i18n.js';
import type { RoomFigures } from '../figures.js';
import { chartTop, linePoints, type ChartFrame, type FigureSample } from './history.js';
import { CHART_KEYS, DASHBOARD_TEXT, type ChartKey } from './text.js';

/** The span of time every chart shows, once there is that much history. */
export const CHART_SPAN_MS = 30 * 60_000;
/** The shortest span a chart shows (just after a start). */
const MIN_SPAN_MS = 60_000;
/** The SVG box of a chart. */
export const CHART_SIZE = { width: 300, height: 64 } as const;

interface SeriesSpec {
  key: string;
  read(sample: FigureSample): number | null;
  /** A limit drawn dashed, not a measurement. */
  limit?: boolean;
}

interface ChartSpec {
  series: SeriesSpec[];
  /** The least top of the y axis (so a flat line at 0 does not fill the box). */
  floor: number;
  /** After the top of the y axis: '/min' in the page's language, or a unit after a space. */
  unit: '' | '/min' | 'min' | 'ms' | '%';
}

function unitLabel(unit: ChartSpec['unit'], lang: Lang): string {
  if (unit === '/min') return DASHBOARD_TEXT[lang].perMinute;
  return unit ? ` ${unit}` : '';
}

const CHARTS: Record<ChartKey, ChartSpec> = {
  active: {
    series: [
      { key: 'active', read: (s) => s.active },
      { key: 'maxActive', read: (s) => s.maxActive, limit: true },
    ],
    floor: 1,
    unit: '',
  },
  waiting: { series: [{ key: 'waiting', read: (s) => s.waiting }], floor: 10, unit: '' },
  rate: {
    series: [
      { key: 'configured', read: (s) => s.ratePerMinute.configured, limit: true },
      { key: 'adaptive', read: (s) => s.ratePerMinute.adaptive },
      { key: 'actual', read: (s) => s.ratePerMinute.actual },
    ],
    floor: 1,
    unit: '/min',
  },
  wait: { series: [{ key: 'wait', read: (s) => (s.waitSeconds === null ? null : s.waitSeconds / 60) }], floor: 5, unit: 'min' },
  latency: {
    series: [
      { key: 'p50', read: (s) => s.originP50Ms },
      { key: 'p95', read: (s) => s.originP95Ms },
    ],
    floor: 100,
    unit: 'ms',
  },
  errors: { series: [{ key: 'errors', read: (s) => (s.originErrorRate === null ? null : s.originErrorRate * 100) }], floor: 5, unit: '%' },
  drafts: { series: [{ key: 'drafts', read: (s) => s.draftsPerMinute }], floor: 5, unit: '/min' },
  submissions: { series: [{ key: 'submissions', read: (s) => s.submissionsPending }], floor: 10, unit: '' },
};

/** One line of a chart: its series, colour slot, and the polylines to draw (one per stretch without gaps). */
export interface ChartLine {
  series: string;
  label: string;
  slot: number;
  limit: boolean;
  runs: string[];
}

/** A chart as drawn. */
export interface ChartView {
  key: ChartKey;
  title: string;
  top: string;
  lines: ChartLine[];
}

/** A room's card on the dashboard: figures as text, charts, and what the controls start from. */
export interface RoomBoard {
  id: string;
  name: string;
  mode: RoomConfig['mode'];
  /** Figures as text, by `data-value` key. */
  values: Record<string, string>;
  /** What the charts' x axis spans ("last 30 minutes", or since the history began). */
  span: string;
  charts: ChartView[];
  /** What the controls start from, and the settings version they were read at. */
  settings: { maxActive: number; admitPerMinute: number; message: { vi: string; en: string }; version: number };
}

function numberFormat(lang: Lang) {
  const format = new Intl.NumberFormat(lang === 'vi' ? 'vi-VN' : 'en-GB', { maximumFractionDigits: 1 });
  return (value: number) => format.format(value);
}

function chartOf(key: ChartKey, samples: readonly FigureSample[], frame: ChartFrame, lang: Lang): ChartView {
  const spec = CHARTS[key];
  const text = DASHBOARD_TEXT[lang];
  const times = samples.map((s) => s.at);
  const columns = spec.series.map((series) => samples.map((sample) => series.read(sample)));
  const top = chartTop(columns.flat(), spec.floor);
  return {
    key,
    title: text.figures[key],
    top: `${numberFormat(lang)(top)}${unitLabel(spec.unit, lang)}`,
    lines: spec.series.map((series, slot) => ({
      series: series.key,
      label: text.series[series.key] ?? series.key,
      slot,
      limit: series.limit === true,
      runs: linePoints(times, columns[slot] as (number | null)[], top, frame),
    })),
  };
}

function valuesOf(room: RoomConfig, figures: RoomFigures, latest: FigureSample | undefined, lang: Lang): Record<string, string> {
  const text = DASHBOARD_TEXT[lang];
  const n = numberFormat(lang);
  const known = (value: number | null | undefined, show: (v: number) => string = n) => (value === null || value === undefined ? text.unknown : show(value));
  const ms = (value: number | null) => known(value, (v) => `${n(Math.round(v))} ms`);
  const rate = latest?.ratePerMinute;
  return {
    mode: text.modes[room.mode],
    auto:
      figures.autoActivation?.active && figures.autoActivation.since
        ? text.autoActive(formatHourMinute(Date.parse(figures.autoActivation.since)), figures.autoActivation.reason ?? '')
        : '',
    active: known(figures.live?.active),
    activeMax: text.ofMax(n(room.maxActive)),
    waiting: known(figures.live?.waiting),
    rate: known(rate?.actual, (v) => `${n(v)}${text.perMinute}`),
    rateDetail: text.rateLine(n(room.admitPerMinute), figures.adaptive ? n(figures.adaptive.ratePerMinute) : null),
    wait: known(figures.live?.waitForNewArrivalSeconds, (v) => formatWait(v, lang)),
    latency: text.latencyLine(ms(figures.origin.p50Ms), ms(figures.origin.p95Ms)),
    errors: known(latest?.originErrorRate, (v) => `${n(v * 100)} %`),
    drafts: known(latest?.draftsPerMinute, (v) => `${n(v)}${text.perMinute}`),
    submissions: figures.submissions ? known(latest?.submissionsPending) : '—',
  };
}

/** The room's card: `samples` is the room's history (oldest first), ending with the current sample. */
export function roomBoard(room: RoomConfig, figures: RoomFigures, samples: readonly FigureSample[], now: number, lang: Lang, version = 0): RoomBoard {
  const history = now - (samples[0]?.at ?? now);
  const spanMs = Math.min(CHART_SPAN_MS, Math.max(MIN_SPAN_MS, history));
  const frame: ChartFrame = { ...CHART_SIZE, spanMs, now };
  const name = room.name?.[lang] ?? room.name?.vi ?? room.id;
  return {
    id: room.id,
    name,
    mode: room.mode,
    values: valuesOf(room, figures, samples[samples.length - 1], lang),
    span: spanMs >= CHART_SPAN_MS ? DASHBOARD_TEXT[lang].chartsSpan : DASHBOARD_TEXT[lang].since(formatHourMinute(now - spanMs)),
    charts: CHART_KEYS.map((key) => chartOf(key, samples, frame, lang)),
    settings: { maxActive: room.maxActive, admitPerMinute: room.admitPerMinute, message: { vi: room.message?.vi ?? '', en: room.message?.en ?? '' }, version },
  };
}
