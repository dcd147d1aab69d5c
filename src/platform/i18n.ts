/** Languages every visitor-facing page is written in. Vietnamese is the default. */
export type Lang = 'vi' | 'en';

export const LANGS: readonly Lang[] = ['vi', 'en'];

/** The time zone every time a citizen reads is shown in. */
export const VIETNAM_TIME_ZONE = 'Asia/Ho_Chi_Minh';

/** The other page language (for the language switch). */
export function otherLang(lang: Lang): Lang {
  return lang === 'vi' ? 'en' : 'vi';
}

/** Each language's name, written in that language (the label of the language switch). */
export const LANG_NAMES: Readonly<Record<Lang, string>> = { vi: 'Tiếng Việt', en: 'English' };

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

/**
 * The words of a waiting time, per language, with `{m}` (minutes) and `{h}` (hours) to fill in.
 * `formatWait` and the waiting page's script both read them, so the page says the same thing
 * before and after its first update.
 */
export const WAIT_WORDS: Readonly<Record<Lang, { lt1: string; m1: string; m: string; h1: string; h: string; h1m: string; hm: string }>> = {
  vi: {
    lt1: 'dưới 1 phút',
    m1: 'khoảng 1 phút',
    m: 'khoảng {m} phút',
    h1: 'khoảng 1 giờ',
    h: 'khoảng {h} giờ',
    h1m: 'khoảng 1 giờ {m} phút',
    hm: 'khoảng {h} giờ {m} phút',
  },
  en: {
    lt1: 'under a minute',
    m1: 'about 1 minute',
    m: 'about {m} minutes',
    h1: 'about 1 hour',
    h: 'about {h} hours',
    h1m: 'about 1 hour {m} min',
    hm: 'about {h} hours {m} min',
  },
};

/** Formats a duration in seconds as words a person reads at a glance ("khoảng 3 phút"). */
export function formatWait(seconds: number, lang: Lang): string {
  const words = WAIT_WORDS[lang];
  if (seconds < 60) return words.lt1;
  const minutes = Math.round(seconds / 60);
  if (minutes < 90) return (minutes === 1 ? words.m1 : words.m).replace('{m}', String(minutes));
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  const pattern = hours === 1 ? (rest ? words.h1m : words.h1) : rest ? words.hm : words.h;
  return pattern.replace('{h}', String(hours)).replace('{m}', String(rest));
}

const clockTime = new Intl.DateTimeFormat('en-GB', {
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
  timeZone: VIETNAM_TIME_ZONE,
});

const hourMinute = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone: VIETNAM_TIME_ZONE });

const numericDate = new Intl.DateTimeFormat('en-GB', { day: '2-digit', month: '2-digit', year: 'numeric', timeZone: VIETNAM_TIME_ZONE });

const wordedDate = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: VIETNAM_TIME_ZONE });

/** Formats a clock time (HH:MM:SS) in Vietnam's time zone, as a citizen reads it. */
export function formatClockTime(epochMs: number): string {
  return clockTime.format(new Date(epochMs));
}

/** Formats an hour and minute (HH:MM, 24-hour) in Vietnam's time zone. */
export function formatHourMinute(epochMs: number): string {
  return hourMinute.format(new Date(epochMs));
}

/**
 * Formats a calendar date in Vietnam's time zone: "01/12/2026" in Vietnamese (day first, as
 * written in Vietnam), "1 December 2026" in English (no day/month ambiguity).
 */
export function formatDate(epochMs: number, lang: Lang): string {
  return (lang === 'vi' ? numericDate : wordedDate).format(new Date(epochMs));
}

/** Whether two instants fall on the same calendar day in Vietnam. */
export function sameVietnamDay(a: number, b: number): boolean {
  return numericDate.format(new Date(a)) === numericDate.format(new Date(b));
}

/**
 * A moment as a sentence-ready phrase in Vietnam's time: "08:00 hôm nay" / "08:00 today" when it
 * falls on the same day as `now`, else "08:00 ngày 01/12/2026" / "08:00 on 1 December 2026".
 */
export function formatMoment(epochMs: number, now: number, lang: Lang): string {
  const time = formatHourMinute(epochMs);
  if (sameVietnamDay(epochMs, now)) return lang === 'vi' ? `${time} hôm nay` : `${time} today`;
  return lang === 'vi' ? `${time} ngày ${formatDate(epochMs, lang)}` : `${time} on ${formatDate(epochMs, lang)}`;
}
