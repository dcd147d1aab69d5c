/** Languages every visitor-facing page is written in. Vietnamese is the default. */
export type Lang = 'vi' | 'en';

export const LANGS: readonly Lang[] = ['vi', 'en'];

/**
 * Picks the page language: an explicit `?lang=` wins, then the first supported language in
 * `Accept-Language` (by q-value), then Vietnamese.
 */
export function pickLang(queryLang: string | undefined, acceptLanguage: string | undefined): Lang {
  const explicit = queryLang?.trim().toLowerCase();
  if (explicit === 'vi' || explicit === 'en') return explicit;
  if (!acceptLanguage) return 'vi';
  const ranked = acceptLanguage
    .split(',')
    .map((part, index) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
      const weight = q ? Number(q.slice(2)) : 1;
      return { base: tag.toLowerCase().split('-')[0], weight: Number.isFinite(weight) ? weight : 0, index };
    })
    .filter((entry) => entry.weight > 0)
    .sort((a, b) => b.weight - a.weight || a.index - b.index);
  for (const entry of ranked) {
    if (entry.base === 'vi' || entry.base === 'en') return entry.base;
  }
  return 'vi';
}

/** Formats a duration in seconds as words a person reads at a glance ("khoảng 3 phút"). */
export function formatWait(seconds: number, lang: Lang): string {
  if (seconds < 60) return lang === 'vi' ? 'dưới 1 phút' : 'under a minute';
  const minutes = Math.round(seconds / 60);
  if (minutes < 90) return lang === 'vi' ? `khoảng ${minutes} phút` : `about ${minutes} minute${minutes === 1 ? '' : 's'}`;
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  if (lang === 'vi') return `khoảng ${hours} giờ${rest ? ` ${rest} phút` : ''}`;
  return `about ${hours} hour${hours === 1 ? '' : 's'}${rest ? ` ${rest} min` : ''}`;
}

/** Formats a clock time (HH:MM:SS) in Vietnam's time zone, as a citizen reads it. */
export function formatClockTime(epochMs: number): string {
  return new Intl.DateTimeFormat('en-GB', {
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hour12: false,
    timeZone: 'Asia/Ho_Chi_Minh',
  }).format(new Date(epochMs));
}
