import type { RoomConfig } from '../../config/schema.js';
import type { Lang } from '../../platform/i18n.js';

const PORTAL: Record<Lang, string> = { vi: 'Cổng dịch vụ công', en: 'Public service portal' };

/** The room's name in the page language, or the portal's when the room has none. */
export function roomDisplayName(room: RoomConfig, lang: Lang): string {
  return room.name?.[lang] ?? PORTAL[lang];
}

/** The status address a room's pages poll. */
export function statusUrlOf(roomId: string): string {
  return `/_sanh/status?room=${encodeURIComponent(roomId)}`;
}

/** Up to `maxMs` of random delay, so visitors who were told the same moment do not all come back at once. */
export function randomJitterMs(maxMs: number): number {
  return Math.floor(Math.random() * maxMs);
}

/**
 * The refresh for browsers without JavaScript, in `<noscript>` (so pages with JavaScript, which
 * reload by script, carry no timed refresh).
 */
export function NoScriptRefresh(props: { seconds: number }) {
  return (
    <noscript>
      <meta http-equiv="refresh" content={String(Math.max(1, Math.round(props.seconds)))} />
    </noscript>
  );
}
