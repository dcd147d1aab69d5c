import { raw } from 'hono/html';
import type { RoomConfig } from '../config/schema.js';
import { POLLER_JS } from './client/assets.generated.js';
import { formatClockTime, formatWait, LANG_NAMES, otherLang, WAIT_WORDS, type Lang } from '../platform/i18n.js';
import { LanguageSwitch, Layout, renderDocument, ScriptData } from '../platform/layout.js';
import { NoScriptRefresh, roomDisplayName, statusUrlOf } from './pages/common.js';
import { cachedTemplate, fillTemplate, type TemplateValues } from './template.js';
import type { QueueStatus } from './visit.js';

const TEXT = {
  vi: {
    title: 'Bạn đang trong hàng chờ',
    position: 'Số thứ tự của bạn',
    aheadMany: 'Có {n} người trước bạn.',
    aheadOne: 'Có 1 người trước bạn.',
    next: 'Bạn là người tiếp theo.',
    wait: 'Thời gian chờ',
    unknown: 'chưa xác định được',
    updated: 'Cập nhật lúc',
    why: 'Lúc này có nhiều người cùng dùng dịch vụ. Mọi người được vào lần lượt, ai đến trước vào trước.',
    keep: 'Hãy để trang này mở. Trang tự cập nhật. Khi đến lượt, trang sẽ tự đưa bạn vào.',
    reload: 'Tải lại trang không làm mất chỗ của bạn.',
    paused: ['Dịch vụ đang tạm dừng.', 'Lúc này chưa ai được vào.', 'Bạn vẫn giữ chỗ trong hàng.'],
    queueAll: ['Lúc này mọi người đều vào qua hàng chờ.', 'Như vậy dịch vụ chạy ổn định hơn.'],
    noStore: ['Lúc này chưa xem được số liệu của hàng chờ.', 'Hãy để trang này mở.', 'Chỗ của bạn vẫn được giữ.'],
  },
  en: {
    title: 'You are in line',
    position: 'Your place in line',
    aheadMany: '{n} people are ahead of you.',
    aheadOne: '1 person is ahead of you.',
    next: 'You are next.',
    wait: 'Wait',
    unknown: 'not yet known',
    updated: 'Updated at',
    why: 'Many people are using this service right now. We let people in one by one, in the order they arrived.',
    keep: 'Keep this page open. It updates by itself. When it is your turn, it takes you in.',
    reload: 'Reloading this page does not lose your place.',
    paused: ['The service is paused.', 'Nobody is being let in right now.', 'You keep your place in line.'],
    queueAll: ['Right now everyone comes in through this line.', 'This keeps the service running smoothly.'],
    noStore: ['We cannot read the figures of the line right now.', 'Keep this page open.', 'Your place is kept.'],
  },
} as const;

/**
 * A notice above the figures: the room is paused (with the operator's message in the page
 * language, if any), everyone is being queued, or the line's figures cannot be read right now.
 */
export type WaitingNotice = { kind: 'paused'; message?: string } | { kind: 'queue-all' } | { kind: 'store-unavailable' };

/** Everything the waiting page shows. */
export interface WaitingPageProps {
  lang: Lang;
  room: RoomConfig;
  status: QueueStatus;
  /** Where the visitor goes once admitted (the page they asked for). */
  returnTo: string;
  /** The same page in the other language. */
  otherLangUrl: string;
  /** Why the line is as it is, when it is not simply busy. */
  notice?: WaitingNotice;
}

function aheadSentence(ahead: number | null, lang: Lang): string {
  const t = TEXT[lang];
  if (ahead === null) return '';
  if (ahead === 0) return t.next;
  return ahead === 1 ? t.aheadOne : t.aheadMany.replace('{n}', String(ahead));
}

function noticeLines(notice: WaitingNotice | undefined, lang: Lang): string[] {
  const t = TEXT[lang];
  switch (notice?.kind) {
    case 'paused':
      return notice.message ? [...t.paused, notice.message] : [...t.paused];
    case 'queue-all':
      return [...t.queueAll];
    default:
      return [];
  }
}

/** The figures as words, shared by the default page and templates. */
function figures(props: WaitingPageProps) {
  const { lang, status, notice } = props;
  const t = TEXT[lang];
  const eta = status.etaSeconds === null || notice?.kind === 'paused' ? t.unknown : formatWait(status.etaSeconds, lang);
  return {
    position: status.position === null ? '—' : String(status.position),
    ahead: aheadSentence(status.ahead, lang),
    aheadCount: status.ahead === null ? '—' : String(status.ahead),
    eta,
    updated: formatClockTime(status.updatedAt),
  };
}

function scriptConfig(props: WaitingPageProps) {
  const t = TEXT[props.lang];
  return {
    status: statusUrlOf(props.room.id),
    back: props.returnTo,
    poll: props.status.pollAfterSeconds,
    t: { ahead: t.aheadMany, one: t.aheadOne, next: t.next, unknown: t.unknown },
    w: WAIT_WORDS[props.lang],
  };
}

/**
 * The server-rendered waiting page: complete without JavaScript, live with it. A room with an
 * operator template (`templateHtml`, see `template.ts`) gets that template, filled in.
 * Throws when `templateHtml` was set without being checked and is not a valid template.
 */
export function renderWaitingPage(props: WaitingPageProps): string {
  return props.room.templateHtml === undefined ? defaultWaitingPage(props) : templateWaitingPage(props, props.room.templateHtml);
}

function defaultWaitingPage(props: WaitingPageProps): string {
  const { lang, room, status, notice } = props;
  const t = TEXT[lang];
  const shown = figures(props);
  const name = roomDisplayName(room, lang);
  const lines = noticeLines(notice, lang);
  const storeDown = notice?.kind === 'store-unavailable' || status.position === null;
  return renderDocument(
    <Layout lang={lang} title={`${t.title} · ${name}`} head={<NoScriptRefresh seconds={status.pollAfterSeconds} />}>
      <div class="card">
        <p class="brand">{name}</p>
        <h1>{t.title}</h1>
        {lines.length > 0 ? (
          <div class="notice" id="sanh-notice">
            {lines.map((line, index) => (
              <p>{index === 0 ? <strong>{line}</strong> : line}</p>
            ))}
          </div>
        ) : null}
        <div role="status">
          <div class="notice" id="sanh-nostore" hidden={!storeDown}>
            {t.noStore.map((line, index) => (
              <p>{index === 0 ? <strong>{line}</strong> : line}</p>
            ))}
          </div>
        </div>
        <div>{t.position}</div>
        <div class="big" id="sanh-pos">
          {shown.position}
        </div>
        <p id="sanh-ahead" aria-live="polite">
          {shown.ahead}
        </p>
        <dl>
          <dt>{t.wait}</dt>
          <dd id="sanh-eta">{shown.eta}</dd>
          <dt>{t.updated}</dt>
          <dd id="sanh-time">{shown.updated}</dd>
        </dl>
        {notice === undefined || notice.kind === 'store-unavailable' ? <p class="note">{t.why}</p> : null}
        <p class="note">{t.keep}</p>
        <p class="muted">{t.reload}</p>
      </div>
      <LanguageSwitch lang={lang} url={props.otherLangUrl} />
      <ScriptData id="sanh-cfg" value={scriptConfig(props)} />
      <script>{raw(POLLER_JS)}</script>
    </Layout>,
  );
}

function templateWaitingPage(props: WaitingPageProps, html: string): string {
  const { lang, room, status, notice } = props;
  const template = cachedTemplate(html);
  const shown = figures(props);
  const lines = notice?.kind === 'store-unavailable' ? [...TEXT[lang].noStore] : noticeLines(notice, lang);
  const other = otherLang(lang);
  const values: TemplateValues = {
    ...shown,
    lang,
    title: TEXT[lang].title,
    roomName: roomDisplayName(room, lang),
    notice: lines.join(' '),
    pollAfterSeconds: String(status.pollAfterSeconds),
    returnTo: props.returnTo,
    otherLang: other,
    otherLangUrl: props.otherLangUrl,
    otherLangLabel: LANG_NAMES[other],
    statusUrl: statusUrlOf(room.id),
  };
  const script = String(
    <>
      <NoScriptRefresh seconds={status.pollAfterSeconds} />
      <ScriptData id="sanh-cfg" value={scriptConfig(props)} />
      <script>{raw(POLLER_JS)}</script>
    </>,
  );
  return fillTemplate(template, values, script);
}
