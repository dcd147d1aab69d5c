import { raw } from 'hono/html';
import { formatWait, type Lang } from '../../platform/i18n.js';
import { LanguageSwitch, Layout, renderDocument, ScriptData } from '../../platform/layout.js';
import { KEPT_JS } from '../client/assets.generated.js';
import { STYLE as BUTTON_STYLE } from '../../waiting-room/challenge/page.js';

/** Why a submission was not kept: the room's store budget is full, or many arrive from one network. */
export type NotKeptReason = 'full' | 'limited';

const TEXT = {
  vi: {
    brand: 'Nộp hồ sơ',
    title: 'Hồ sơ của bạn chưa được gửi đi — những gì bạn đã điền vẫn còn',
    reasons: {
      full: 'Lúc này có quá nhiều hồ sơ đang chờ gửi đến cổng dịch vụ công, nên chúng tôi tạm thời chưa nhận thêm được hồ sơ của bạn.',
      limited:
        'Lúc này có rất nhiều hồ sơ được gửi cùng lúc từ mạng Internet bạn đang dùng (nhiều người có thể dùng chung một mạng, ví dụ mạng di động hoặc mạng của cơ quan). Bạn không làm gì sai: chỉ cần đợi một chút.',
    } satisfies Record<NotKeptReason, string>,
    notSent: 'Hồ sơ này chưa được gửi, nên khi gửi lại sẽ không bị gửi hai lần.',
    keptHere: 'Những gì bạn đã điền được giữ ngay trên trang này.',
    auto: 'Trang sẽ tự gửi lại sau',
    seconds: 'giây. Bạn cũng có thể bấm nút bên dưới.',
    noscript: (wait: string) => `Vui lòng bấm «Gửi lại» sau ${wait}.`,
    again: 'Gửi lại',
    draft: 'Bản nháp biểu mẫu của bạn vẫn được lưu trên thiết bị này và trên máy chủ.',
    goBack: (wait: string) =>
      `Vui lòng quay lại biểu mẫu và gửi lại sau ${wait}: những gì bạn đã điền vẫn còn trong biểu mẫu (hãy dùng nút Quay lại của trình duyệt, đừng tải lại trang).`,
    back: 'Quay lại biểu mẫu',
  },
  en: {
    brand: 'Submitting your application',
    title: 'Your submission was not sent yet — what you filled in is kept',
    reasons: {
      full: 'Too many submissions are waiting for the public service portal right now, so we cannot take yours in at this moment.',
      limited:
        'Very many submissions are arriving at once from the Internet connection you are using (many people can share one, such as a mobile network or an office network). You did nothing wrong: please just wait a little.',
    } satisfies Record<NotKeptReason, string>,
    notSent: 'This submission was not sent, so sending it again will not send it twice.',
    keptHere: 'What you filled in is kept on this page.',
    auto: 'This page will send it again by itself in',
    seconds: 'seconds. You can also press the button below.',
    noscript: (wait: string) => `Please press "Send again" in ${wait}.`,
    again: 'Send again',
    draft: 'The draft of your form is still saved on this device and on the server.',
    goBack: (wait: string) =>
      `Please go back to the form and send it again in ${wait}: what you filled in is still in the form (use your browser's Back button rather than reloading).`,
    back: 'Back to the form',
  },
} as const;

/** What the page shows. */
export interface NotKeptPageProps {
  lang: Lang;
  reason: NotKeptReason;
  /** The wait asked for (the answer's Retry-After). */
  retryAfterSeconds: number;
  /** The form's fields as submitted, to send again from this page (url-encoded POST bodies); undefined when they cannot be. */
  resend?: { action: string; fields: readonly (readonly [string, string])[] };
  /** The form carried a draft id: the draft is kept. */
  hasDraft: boolean;
  /** The form page, on this site, when the browser named it. */
  backUrl?: string;
  /**
   * The same page in the other language (`/_sanh/kept`). With `resend`, the switch posts the
   * kept fields there, so nothing the citizen filled in is lost; without, it is a link.
   */
  otherLangUrl: string;
}

/**
 * The answer to a browser's form submission that could not be kept right now (the room's store
 * budget is full, or the address has sent many): it says so without blame, that nothing was sent,
 * and keeps what the citizen filled in. A url-encoded POST's fields are carried in a form on the
 * page that sends them again by itself after the wait (while the page is visible; a button
 * without JavaScript); otherwise it points back to the form, where the browser and the draft
 * keep the answers. The language switch is a second submit control of that form, posting the
 * fields to the page in the other language instead of the portal. The button has Sảnh's primary
 * look (the challenge page's style sheet, whose hash the page policy pins). Holds the citizen's
 * answers: served with `Cache-Control: no-store`.
 */
export function renderNotKeptPage(props: NotKeptPageProps): string {
  const t = TEXT[props.lang];
  const after = Math.max(1, Math.round(props.retryAfterSeconds));
  const wait = formatWait(after, props.lang);
  const card = (
    <div class="card">
      <p class="brand">{t.brand}</p>
      <h1>{t.title}</h1>
      <p>{t.reasons[props.reason]}</p>
      <p>
        <strong>{t.notSent}</strong>
      </p>
      {props.hasDraft ? <p class="note">{t.draft}</p> : null}
      {props.resend ? (
        <>
          <p>{t.keptHere}</p>
          <p id="sanh-auto" hidden>
            {t.auto} <strong id="sanh-count">{String(after)}</strong> {t.seconds}
          </p>
          <noscript>
            <p>{t.noscript(wait)}</p>
          </noscript>
          {props.resend.fields.map(([name, value]) => (
            <input type="hidden" name={name} value={value} />
          ))}
          <p>
            <button type="submit">{t.again}</button>
          </p>
        </>
      ) : (
        <p>{t.goBack(wait)}</p>
      )}
      {props.backUrl ? (
        <p>
          <a href={props.backUrl}>{t.back}</a>
        </p>
      ) : null}
    </div>
  );
  return renderDocument(
    <Layout lang={props.lang} title={t.title} head={<style>{raw(BUTTON_STYLE)}</style>}>
      {props.resend ? (
        <form method="post" action={props.resend.action} id="sanh-again">
          {card}
          <LanguageSwitch lang={props.lang} url={props.otherLangUrl} submits />
        </form>
      ) : (
        <>
          {card}
          <LanguageSwitch lang={props.lang} url={props.otherLangUrl} />
        </>
      )}
      <ScriptData id="sanh-kept" value={{ after }} />
      <script>{raw(KEPT_JS)}</script>
    </Layout>,
  );
}
