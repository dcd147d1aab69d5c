import { raw } from 'hono/html';
import type { RoomConfig } from '../../config/schema.js';
import { formatMoment, type Lang } from '../../platform/i18n.js';
import { LanguageSwitch, Layout, renderDocument, ScriptData } from '../../platform/layout.js';
import { RELOADER_JS } from '../client/assets.generated.js';
import { NoScriptRefresh, randomJitterMs, roomDisplayName } from './common.js';

const TEXT = {
  vi: {
    title: 'Dịch vụ đang tạm đóng',
    sorry: 'Xin lỗi, lúc này bạn chưa dùng được dịch vụ này.',
    reopens: (when: string) => `Dự kiến mở lại lúc ${when}.`,
    later: 'Vui lòng quay lại sau.',
    reloadAt: 'Bạn có thể để trang này mở. Trang sẽ tự tải lại khi dịch vụ mở lại.',
    reloadEvery: 'Bạn có thể để trang này mở. Trang tự tải lại vài phút một lần.',
  },
  en: {
    title: 'This service is closed for now',
    sorry: 'Sorry, you cannot use this service right now.',
    reopens: (when: string) => `We expect to reopen at ${when} (Vietnam time).`,
    later: 'Please come back later.',
    reloadAt: 'You can keep this page open. It will reload by itself when the service reopens.',
    reloadEvery: 'You can keep this page open. It reloads by itself every few minutes.',
  },
} as const;

/** How long the closed page waits before reloading when no reopening time is ahead (seconds). */
const RELOAD_EVERY_SECONDS = 300;
/** The longest wait before a reload, even when the reopening is further off (seconds). */
const RELOAD_AT_MOST_SECONDS = 3600;

/** Everything the closed page shows. */
export interface ClosedPageProps {
  lang: Lang;
  room: RoomConfig;
  /** The operator's message in the page language (the room's `message[lang]`). */
  message?: string;
  /** When the service is expected back (epoch ms): the room's `reopensAt`. */
  reopensAt?: number;
  /** The same page in the other language. */
  otherLangUrl: string;
  /** Now (epoch ms, from the process's clock), for the reload delay and "today". */
  now: number;
  /** Random delay added to the reload (ms), up to 5 s by default, so visitors do not all return at once. */
  jitterMs?: number;
}

/**
 * Seconds until the closed page reloads: at the reopening time (plus jitter) when it is ahead,
 * but at most an hour ahead; every five minutes when there is none or it has passed.
 */
export function closedReloadSeconds(now: number, reopensAt: number | undefined, jitterMs: number): number {
  const base = reopensAt !== undefined && reopensAt > now ? Math.min((reopensAt - now) / 1000, RELOAD_AT_MOST_SECONDS) : RELOAD_EVERY_SECONDS;
  return Math.max(1, Math.ceil(base + jitterMs / 1000));
}

/**
 * The page for a closed room: says so plainly, with the operator's message and, when known, the
 * expected reopening in Vietnam time. It reloads by itself (by script, or `<noscript>` refresh)
 * near the reopening time, or every few minutes when none is set.
 */
export function renderClosedPage(props: ClosedPageProps): string {
  const { lang, room, message, reopensAt } = props;
  const t = TEXT[lang];
  const now = props.now;
  const ahead = reopensAt !== undefined && reopensAt > now;
  const after = closedReloadSeconds(now, reopensAt, props.jitterMs ?? randomJitterMs(5_000));
  const name = roomDisplayName(room, lang);
  return renderDocument(
    <Layout lang={lang} title={`${t.title} · ${name}`} head={<NoScriptRefresh seconds={after} />}>
      <div class="card">
        <p class="brand">{name}</p>
        <h1>{t.title}</h1>
        <p>{t.sorry}</p>
        {message ? (
          <div class="notice">
            <p>{message}</p>
          </div>
        ) : null}
        <p>
          <strong>{ahead && reopensAt !== undefined ? t.reopens(formatMoment(reopensAt, now, lang)) : t.later}</strong>
        </p>
        <p class="note">{ahead ? t.reloadAt : t.reloadEvery}</p>
      </div>
      <LanguageSwitch lang={lang} url={props.otherLangUrl} />
      <ScriptData id="sanh-reload" value={{ after }} />
      <script>{raw(RELOADER_JS)}</script>
    </Layout>,
  );
}
