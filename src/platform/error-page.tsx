import { Layout, renderDocument } from './layout.js';
import type { ErrorCode } from './errors.js';
import type { Lang } from './i18n.js';

const TEXT: Record<Lang, { title: string; retry: string; codes: Partial<Record<ErrorCode, string>>; fallback: string; reference: string }> = {
  vi: {
    title: 'Xin lỗi, chưa thể phục vụ bạn lúc này',
    retry: 'Vui lòng thử lại sau ít phút. Những gì bạn đã gửi thành công trước đó không bị mất.',
    codes: {
      origin_unreachable: 'Cổng dịch vụ công hiện không phản hồi.',
      origin_timeout: 'Cổng dịch vụ công phản hồi quá chậm.',
      store_unavailable: 'Phòng chờ tạm thời gián đoạn.',
      not_found: 'Không tìm thấy trang bạn yêu cầu.',
      bad_request: 'Yêu cầu không hợp lệ.',
    },
    fallback: 'Đã có lỗi xảy ra ở phía chúng tôi.',
    reference: 'Mã tham chiếu',
  },
  en: {
    title: 'Sorry, we cannot serve you right now',
    retry: 'Please try again in a few minutes. Anything you already submitted successfully is not lost.',
    codes: {
      origin_unreachable: 'The e-services portal is not answering.',
      origin_timeout: 'The e-services portal is answering too slowly.',
      store_unavailable: 'The waiting room is briefly unavailable.',
      not_found: 'The page you asked for does not exist.',
      bad_request: 'The request is not valid.',
    },
    fallback: 'Something went wrong on our side.',
    reference: 'Reference',
  },
};

/** The friendly page for a fault, in the visitor's language. */
export function renderErrorPage(lang: Lang, code: ErrorCode, requestId: string | undefined): string {
  const t = TEXT[lang];
  return renderDocument(
    <Layout lang={lang} title={t.title}>
      <div class="card">
        <h1>{t.title}</h1>
        <p>{t.codes[code] ?? t.fallback}</p>
        <p class="note">{t.retry}</p>
        {requestId ? (
          <p class="muted">
            {t.reference}: <span class="code">{requestId}</span>
          </p>
        ) : null}
      </div>
    </Layout>,
  );
}
