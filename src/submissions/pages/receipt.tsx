import { raw } from 'hono/html';
import { formatHourMinute, VIETNAM_TIME_ZONE, type Lang } from '../../platform/i18n.js';
import { LanguageSwitch, Layout, renderDocument, ScriptData } from '../../platform/layout.js';
import { RECEIPT_CSS, RECEIPT_JS } from '../client/assets.generated.js';
import type { FailureReason, PublicState } from '../core.js';
import type { ReceiptView } from '../view.js';

type Heading = PublicState | `failed-${FailureReason}`;

const TEXT = {
  vi: {
    brand: 'Biên nhận hồ sơ',
    titles: {
      accepted: 'Hồ sơ của bạn đã được tiếp nhận',
      delivering: 'Hồ sơ của bạn đang được gửi đến cổng',
      delivered: 'Hồ sơ của bạn đã được gửi đến cổng',
      failed: 'Chưa gửi được hồ sơ của bạn',
      'failed-rejected': 'Cổng dịch vụ công chưa nhận hồ sơ của bạn',
      'failed-attempts': 'Chưa gửi được hồ sơ của bạn',
      'failed-deadline': 'Chưa gửi được hồ sơ của bạn',
      'failed-dropped': 'Hồ sơ của bạn đã được dừng gửi',
    } satisfies Record<Heading, string>,
    states: {
      accepted: 'Đã tiếp nhận, đang chờ gửi đến cổng',
      delivering: 'Đang gửi đến cổng',
      delivered: 'Đã gửi đến cổng',
      failed: 'Không gửi được',
      'failed-rejected': 'Cổng không nhận',
      'failed-attempts': 'Không gửi được',
      'failed-deadline': 'Không gửi được',
      'failed-dropped': 'Đã rút lại',
    } satisfies Record<Heading, string>,
    already: 'Bạn đã gửi hồ sơ này rồi; đây là biên nhận lần gửi trước. Hồ sơ không bị gửi hai lần.',
    number: 'Số biên nhận',
    keepNow: 'Vui lòng ghi lại số này ngay (hoặc chụp màn hình). Khi gọi điện cho cơ quan giải quyết, bạn chỉ cần đọc số này.',
    keep: 'Vui lòng giữ lại số này. Khi gọi điện cho cơ quan giải quyết, bạn chỉ cần đọc số này.',
    busy: 'Cổng dịch vụ công đang quá tải. Chúng tôi đang giữ hồ sơ của bạn an toàn và sẽ gửi đến cổng ngay khi cổng nhận được.',
    sending: 'Chúng tôi đang gửi hồ sơ của bạn đến cổng dịch vụ công.',
    notYet: (problem: string | null) => `Cổng dịch vụ công chưa nhận được hồ sơ${problem ? ` (${problem})` : ''}. Chúng tôi sẽ tiếp tục thử gửi.`,
    nextTry: (time: string) => `Lần thử tiếp theo lúc ${time}.`,
    noNeed: 'Bạn không cần gửi lại. Bạn có thể đóng trang này.',
    problems: { unreachable: 'cổng không phản hồi', timeout: 'cổng trả lời quá chậm', status: (code: string) => `cổng đang bận, mã ${code}` },
    delivered: (when: string) => `Chúng tôi đã gửi hồ sơ của bạn đến cổng dịch vụ công lúc ${when}.`,
    application: 'Mã hồ sơ của cổng',
    applicationNote: 'Đây là mã cổng dịch vụ công cấp cho hồ sơ của bạn. Hãy dùng mã này khi tra cứu hồ sơ trên cổng.',
    answer: 'Xem trả lời của cổng',
    rejected: (status: number | null) => `Cổng dịch vụ công không nhận hồ sơ này${status ? ` (mã trả lời ${status})` : ''}.`,
    rejectedAnswer: 'Bạn có thể xem cổng đã trả lời gì:',
    rejectedAgain: 'Vui lòng kiểm tra lại các thông tin trong biểu mẫu rồi gửi lại.',
    late: 'Chúng tôi không gửi được hồ sơ của bạn đến cổng dịch vụ công kịp thời hạn. Cổng chưa xác nhận đã nhận hồ sơ này.',
    lateAgain: 'Vui lòng gửi lại sau, hoặc liên hệ cơ quan giải quyết và đọc số biên nhận của bạn.',
    dropped: 'Cán bộ quản lý dịch vụ đã rút lại hồ sơ này, nên hồ sơ sẽ không được gửi đến cổng.',
    contact: 'Vui lòng liên hệ cơ quan giải quyết và đọc số biên nhận của bạn.',
    details: 'Chi tiết',
    acceptedAt: 'Tiếp nhận lúc',
    deliveredAt: 'Gửi đến cổng lúc',
    updatedAt: 'Cập nhật lần cuối',
    state: 'Tình trạng',
    timeZone: 'Thời gian tính theo giờ Việt Nam.',
    track: 'Trang theo dõi biên nhận này',
    trackNote: 'Bạn có thể lưu (đánh dấu) trang này để xem lại tình trạng hồ sơ bất cứ lúc nào.',
    live: 'Trang này tự cập nhật khi có tin mới.',
    print: 'In biên nhận',
  },
  en: {
    brand: 'Submission receipt',
    titles: {
      accepted: 'Your submission has been received',
      delivering: 'Your submission is being sent to the portal',
      delivered: 'Your submission has been sent to the portal',
      failed: 'Your submission could not be delivered',
      'failed-rejected': 'The portal did not accept your submission',
      'failed-attempts': 'Your submission could not be delivered',
      'failed-deadline': 'Your submission could not be delivered',
      'failed-dropped': 'Your submission was withdrawn',
    } satisfies Record<Heading, string>,
    states: {
      accepted: 'Received, waiting to be sent to the portal',
      delivering: 'Being sent to the portal',
      delivered: 'Sent to the portal',
      failed: 'Not delivered',
      'failed-rejected': 'Not accepted by the portal',
      'failed-attempts': 'Not delivered',
      'failed-deadline': 'Not delivered',
      'failed-dropped': 'Withdrawn',
    } satisfies Record<Heading, string>,
    already: 'You already sent this submission; this is the receipt from that time. It is not sent twice.',
    number: 'Receipt number',
    keepNow: 'Please write this number down now (or take a screenshot). When you call the office, just give them this number.',
    keep: 'Please keep this number. When you call the office, just give them this number.',
    busy: 'The public service portal is very busy right now. We are keeping your submission safe and will send it to the portal as soon as it has room.',
    sending: 'We are sending your submission to the public service portal.',
    notYet: (problem: string | null) => `The public service portal has not taken your submission yet${problem ? ` (${problem})` : ''}. We will keep trying.`,
    nextTry: (time: string) => `Next try at ${time} (Vietnam time).`,
    noNeed: 'You do not need to submit again. You may close this page.',
    problems: {
      unreachable: 'the portal is not answering',
      timeout: 'the portal is answering too slowly',
      status: (code: string) => `the portal is busy, code ${code}`,
    },
    delivered: (when: string) => `We sent your submission to the public service portal on ${when}.`,
    application: "The portal's application number",
    applicationNote: 'The portal gave your application this number. Use it to look up your application on the portal.',
    answer: "See the portal's answer",
    rejected: (status: number | null) => `The public service portal did not accept this submission${status ? ` (answer code ${status})` : ''}.`,
    rejectedAnswer: 'You can see what the portal answered:',
    rejectedAgain: 'Please check the information in the form and submit it again.',
    late: 'We could not deliver your submission to the public service portal in time. The portal did not confirm receiving it.',
    lateAgain: 'Please submit again later, or contact the office and give them your receipt number.',
    dropped: "The service's staff withdrew this submission, so it will not be sent to the portal.",
    contact: 'Please contact the office and give them your receipt number.',
    details: 'Details',
    acceptedAt: 'Received',
    deliveredAt: 'Sent to the portal',
    updatedAt: 'Last update',
    state: 'Status',
    timeZone: 'Times are Vietnam time.',
    track: 'Tracking page for this receipt',
    trackNote: 'You can bookmark it to check on your submission at any time.',
    live: 'This page updates itself when there is news.',
    print: 'Print receipt',
  },
} as const;

const DATE_TIME: Record<Lang, Intl.DateTimeFormat> = {
  vi: new Intl.DateTimeFormat('vi-VN', { timeZone: VIETNAM_TIME_ZONE, dateStyle: 'medium', timeStyle: 'short' }),
  en: new Intl.DateTimeFormat('en-GB', { timeZone: VIETNAM_TIME_ZONE, dateStyle: 'medium', timeStyle: 'short' }),
};

/** An ISO time as a citizen reads it: date and time in Vietnam. */
function when(iso: string, lang: Lang): string {
  return DATE_TIME[lang].format(new Date(iso));
}

/** The last delivery problem in plain words, or null when it is not one the page knows. */
function problemWords(problem: string | null, lang: Lang): string | null {
  const words = TEXT[lang].problems;
  if (problem === 'unreachable' || problem === 'timeout') return words[problem];
  const status = problem?.match(/^status (\d{3})$/);
  return status?.[1] ? words.status(status[1]) : null;
}

function withLang(url: string, lang: Lang): string {
  return `${url}${url.includes('?') ? '&' : '?'}lang=${lang}`;
}

/** What the receipt page shows. */
export interface ReceiptPageProps {
  lang: Lang;
  view: ReceiptView;
  /** Link to the same page in the other language. */
  otherLangUrl: string;
  /** True on the 202 answer right after submitting; false when the citizen checks the status later. */
  justAccepted: boolean;
  /** 'already-submitted': the same submission was sent again (double click, retried POST) and this is the original receipt. */
  notice?: 'already-submitted';
}

/** What the page says about the receipt's state, under the heading. */
function Explanation(props: { lang: Lang; view: ReceiptView }) {
  const { lang, view } = props;
  const t = TEXT[lang];
  switch (view.state) {
    case 'accepted':
      return (
        <>
          <p class="lead">{t.busy}</p>
          <p class="lead">
            <strong>{t.noNeed}</strong>
          </p>
        </>
      );
    case 'delivering': {
      const retrying = view.problem !== null || view.nextAttemptAt !== null;
      return (
        <>
          <p class="lead">
            {retrying ? t.notYet(problemWords(view.problem, lang)) : t.sending}
            {view.nextAttemptAt ? ` ${t.nextTry(formatHourMinute(Date.parse(view.nextAttemptAt)))}` : ''}
          </p>
          <p class="lead">
            <strong>{t.noNeed}</strong>
          </p>
        </>
      );
    }
    case 'delivered':
      return <p class="lead">{t.delivered(when(view.deliveredAt ?? view.updatedAt, lang))}</p>;
    case 'failed': {
      const reason = view.failure?.reason;
      if (reason === 'rejected')
        return (
          <>
            <p class="lead">{t.rejected(view.origin?.status ?? null)}</p>
            {view.answerUrl ? (
              <p>
                {t.rejectedAnswer} <a href={withLang(view.answerUrl, lang)}>{t.answer}</a>
              </p>
            ) : null}
            <p class="lead">
              <strong>{t.rejectedAgain}</strong>
            </p>
          </>
        );
      if (reason === 'dropped')
        return (
          <>
            <p class="lead">{t.dropped}</p>
            <p class="lead">
              <strong>{t.contact}</strong>
            </p>
          </>
        );
      return (
        <>
          <p class="lead">{t.late}</p>
          <p class="lead">
            <strong>{t.lateAgain}</strong>
          </p>
        </>
      );
    }
  }
}

/**
 * The receipt page of a stored submission, for the 202 answer and for its status page: the
 * receipt number to read out on the phone, what is happening to the submission in plain words,
 * and when. Complete without JavaScript: while not final it refreshes itself onto the status page
 * (`<noscript>` refresh; with JavaScript, it asks the status and reloads only once it changed).
 * Printable. No personal data: the view holds none.
 */
export function renderReceiptPage(props: ReceiptPageProps): string {
  const { lang, view } = props;
  const t = TEXT[lang];
  const heading: Heading = view.state === 'failed' && view.failure ? `failed-${view.failure.reason}` : view.state;
  const title = t.titles[heading];
  const page = withLang(view.statusUrl, lang);
  const after = view.pollAfterSeconds === null ? null : Math.max(1, Math.round(view.pollAfterSeconds));
  const application = view.state === 'delivered' ? view.origin?.applicationNumber : null;
  const config = { after, status: view.statusUrl, page, state: view.state, updatedAt: view.updatedAt };
  return renderDocument(
    <Layout
      lang={lang}
      title={`${title} · ${t.number} ${view.receiptNumber}`}
      head={
        <>
          {after === null ? null : (
            <noscript>
              <meta http-equiv="refresh" content={`${after};url=${page}`} />
            </noscript>
          )}
          <style>{raw(RECEIPT_CSS)}</style>
        </>
      }
    >
      <div class="card">
        <p class="brand">{t.brand}</p>
        {props.notice === 'already-submitted' ? (
          <div class="notice" role="status">
            <p>{t.already}</p>
          </div>
        ) : null}
        <h1>{title}</h1>
        <div class="rbox">
          <p>{t.number}</p>
          <p class="code entry rn" id="sanh-number">
            {view.receiptNumber}
          </p>
        </div>
        <p class="note">{props.justAccepted ? t.keepNow : t.keep}</p>
        <Explanation lang={lang} view={view} />
        {application ? (
          <div class="rbox">
            <p>{t.application}</p>
            <p class="code entry" id="sanh-application">
              {application}
            </p>
          </div>
        ) : null}
        {application ? <p class="note">{t.applicationNote}</p> : null}
        {view.state === 'delivered' && view.answerUrl ? (
          <p>
            <a href={withLang(view.answerUrl, lang)}>{t.answer}</a>
          </p>
        ) : null}
        <h2>{t.details}</h2>
        <dl>
          <dt>{t.acceptedAt}</dt>
          <dd>{when(view.acceptedAt, lang)}</dd>
          {view.deliveredAt ? (
            <>
              <dt>{t.deliveredAt}</dt>
              <dd>{when(view.deliveredAt, lang)}</dd>
            </>
          ) : null}
          <dt>{t.updatedAt}</dt>
          <dd>{when(view.updatedAt, lang)}</dd>
          <dt>{t.state}</dt>
          <dd>{t.states[heading]}</dd>
        </dl>
        <p class="muted">{t.timeZone}</p>
        <p>
          <a href={page}>{t.track}</a>. {t.trackNote}
          {after === null ? null : ` ${t.live}`}
        </p>
        <p class="noprint" id="sanh-print-row" hidden>
          <button type="button" id="sanh-print">
            {t.print}
          </button>
        </p>
      </div>
      <LanguageSwitch lang={lang} url={props.otherLangUrl} />
      <ScriptData id="sanh-receipt" value={config} />
      <script>{raw(RECEIPT_JS)}</script>
    </Layout>,
  );
}
