import type { Lang } from '../../platform/i18n.js';
import { LanguageSwitch, Layout, renderDocument } from '../../platform/layout.js';

const TEXT = {
  vi: {
    title: 'Tiếp tục hồ sơ đang khai',
    intro: 'Nhập mã tiếp tục bạn nhận được khi bắt đầu khai hồ sơ (15 chữ và số, ví dụ 7KQ2M-9XD4T-RAWH3). Những gì bạn đã khai sẽ hiện lại trên thiết bị này.',
    code: 'Mã tiếp tục',
    answer: 'Câu trả lời bạn đã chọn (nếu có)',
    answerHint: 'Không phân biệt chữ hoa, chữ thường và dấu.',
    submit: 'Tiếp tục khai',
    privacy: 'Đừng đưa mã này cho người lạ: ai có mã đều xem được hồ sơ đang khai của bạn.',
    problem: 'Chưa tiếp tục được',
  },
  en: {
    title: 'Continue a saved application',
    intro:
      'Type the resume code you were given when you started the form (15 letters and digits, like 7KQ2M-9XD4T-RAWH3). What you entered will appear again on this device.',
    code: 'Resume code',
    answer: 'The answer you chose (if any)',
    answerHint: 'Capitals, lower case and accents do not matter.',
    submit: 'Continue',
    privacy: 'Do not give this code to strangers: whoever has it can see your unfinished application.',
    problem: 'Could not continue',
  },
} as const;

/** What the resume page shows. */
export interface ResumePageProps {
  lang: Lang;
  /** The code as the visitor typed it, to keep it in the box after a mistake. */
  code?: string;
  /** What went wrong with the last attempt, in the page language. */
  problem?: string;
  otherLangUrl: string;
}

/**
 * The page where a citizen types a resume code to continue a draft on this device. A plain form
 * (works without JavaScript): it posts to `/_sanh/drafts/resume`, which binds this device as an
 * owner and sends the visitor back to the form's page.
 */
export function renderResumePage(props: ResumePageProps): string {
  const t = TEXT[props.lang];
  return renderDocument(
    <Layout lang={props.lang} title={t.title}>
      <div class="card">
        <h1>{t.title}</h1>
        {props.problem ? (
          <div class="notice" role="alert">
            <p>
              <strong>{t.problem}:</strong> {props.problem}
            </p>
          </div>
        ) : null}
        <p>{t.intro}</p>
        <form method="post" action={`/_sanh/drafts/resume?lang=${props.lang}`}>
          <p>
            <label for="sanh-code">
              <strong>{t.code}</strong>
            </label>
            <br />
            <input
              id="sanh-code"
              name="code"
              class="code entry"
              required
              maxlength={64}
              autocomplete="off"
              autocapitalize="characters"
              spellcheck={false}
              value={props.code ?? ''}
              style="width:100%;padding:.5rem;border:1px solid #8c959f;border-radius:.375rem"
            />
          </p>
          <p>
            <label for="sanh-answer">{t.answer}</label>
            <br />
            <input
              id="sanh-answer"
              name="answer"
              maxlength={100}
              autocomplete="off"
              aria-describedby="sanh-answer-hint"
              style="width:100%;padding:.5rem;font:inherit;border:1px solid #8c959f;border-radius:.375rem"
            />
            <br />
            <span id="sanh-answer-hint" class="muted">
              {t.answerHint}
            </span>
          </p>
          <p>
            <button type="submit" style="padding:.625rem 1.25rem;font:inherit;font-weight:600;color:#fff;background:#0b5cad;border:0;border-radius:.375rem">
              {t.submit}
            </button>
          </p>
        </form>
        <p class="note">{t.privacy}</p>
      </div>
      <LanguageSwitch lang={props.lang} url={props.otherLangUrl} />
    </Layout>,
  );
}

/** Plain-language reasons for the resume page, by error code. */
export const RESUME_PROBLEMS: Readonly<Record<Lang, Record<string, string>>> = {
  vi: {
    resume_code_invalid: 'Mã chưa đúng dạng: mã có 15 chữ và số. Vui lòng kiểm tra và nhập lại.',
    resume_failed: 'Mã hoặc câu trả lời không khớp với hồ sơ nào. Vui lòng kiểm tra và thử lại.',
    'answer-not-set': 'Hồ sơ này cần bạn chọn một câu trả lời trên thiết bị đã bắt đầu khai, rồi mới tiếp tục được ở nơi khác.',
    resume_locked: 'Mã này tạm bị khoá vì nhập sai quá nhiều lần. Vui lòng thử lại sau, hoặc mở hồ sơ trên thiết bị đã bắt đầu khai để nhận mã mới.',
    rate_limited: 'Bạn đã thử quá nhiều lần. Vui lòng đợi một lúc rồi thử lại.',
    store_unavailable: 'Hệ thống lưu hồ sơ tạm thời gián đoạn. Vui lòng thử lại sau ít phút.',
    fallback: 'Đã có lỗi xảy ra. Vui lòng thử lại sau.',
  },
  en: {
    resume_code_invalid: 'That is not a resume code: it has 15 letters and digits. Please check it and type it again.',
    resume_failed: 'The code or the answer does not match a saved application. Please check and try again.',
    'answer-not-set': 'This application can only be continued elsewhere once an answer is chosen for it on the device where it was started.',
    resume_locked:
      'This code is locked for a while after too many wrong tries. Try again later, or open the application on the device where you started it to get a new code.',
    rate_limited: 'Too many tries. Please wait a while and try again.',
    store_unavailable: 'Saved applications cannot be reached right now. Please try again in a few minutes.',
    fallback: 'Something went wrong. Please try again later.',
  },
};
