import { Layout, renderDocument } from './layout.js';
import type { ErrorCode } from './errors.js';
import type { Lang } from './i18n.js';

const TEXT: Record<
  Lang,
  { title: string; retry: string; retryIn: (seconds: number) => string; codes: Partial<Record<ErrorCode, string>>; fallback: string; reference: string }
> = {
  vi: {
    title: 'Xin lỗi, chưa thể phục vụ bạn lúc này',
    retry: 'Vui lòng thử lại sau ít phút. Những gì bạn đã gửi thành công trước đó không bị mất.',
    retryIn: (s) => `Trang này sẽ tự thử lại sau ${s} giây, bạn không cần làm gì. Những gì bạn đã gửi thành công trước đó không bị mất.`,
    codes: {
      origin_unreachable: 'Cổng dịch vụ công hiện không phản hồi.',
      origin_timeout: 'Cổng dịch vụ công phản hồi quá chậm.',
      store_unavailable: 'Phòng chờ tạm thời gián đoạn.',
      not_found: 'Không tìm thấy trang bạn yêu cầu.',
      bad_request: 'Yêu cầu không hợp lệ.',
      payload_too_large: 'Hồ sơ gửi lên quá lớn.',
      rate_limited: 'Lúc này có rất nhiều yêu cầu đến từ mạng bạn đang dùng (nhiều người có thể dùng chung một mạng).',
      idempotency_key_invalid: 'Mã chống gửi trùng (Idempotency-Key) của yêu cầu không hợp lệ.',
      idempotency_key_reused:
        'Biểu mẫu này đã được gửi trước đó với nội dung khác. Lần gửi đầu tiên vẫn có hiệu lực: vui lòng xem biên nhận của lần gửi đó. Nếu muốn gửi hồ sơ mới, vui lòng bắt đầu lại biểu mẫu.',
      idempotency_conflict: 'Hồ sơ này đang được xử lý ngay lúc này. Vui lòng đợi vài giây rồi tải lại trang.',
      receipt_not_found: 'Không có biên nhận nào ở địa chỉ này. Vui lòng kiểm tra lại đường dẫn.',
      store_not_durable: 'Lúc này chúng tôi chưa thể lưu giữ hồ sơ của bạn an toàn. Không có gì bị mất. Vui lòng thử gửi lại sau một phút.',
    },
    fallback: 'Đã có lỗi xảy ra ở phía chúng tôi.',
    reference: 'Mã tham chiếu',
  },
  en: {
    title: 'Sorry, we cannot serve you right now',
    retry: 'Please try again in a few minutes. Anything you already submitted successfully is not lost.',
    retryIn: (s) =>
      `This page will try again by itself in ${s === 1 ? '1 second' : `${s} seconds`}; you do not need to do anything. Anything you already submitted successfully is not lost.`,
    codes: {
      origin_unreachable: 'The e-services portal is not answering.',
      origin_timeout: 'The e-services portal is answering too slowly.',
      store_unavailable: 'The waiting room is briefly unavailable.',
      not_found: 'The page you asked for does not exist.',
      bad_request: 'The request is not valid.',
      payload_too_large: 'The submission is too large.',
      rate_limited: 'Very many requests are arriving from the network you are on right now (many people can share one network).',
      idempotency_key_invalid: 'The Idempotency-Key header of the request is not valid.',
      idempotency_key_reused:
        'This form was already submitted with different answers. The first submission stands: please look at its receipt. To send a new one, start the form again.',
      idempotency_conflict: 'This same submission is being handled right now. Please wait a few seconds and reload the page.',
      receipt_not_found: 'There is no receipt at this address. Please check the link.',
      store_not_durable: 'We cannot keep your submission safely right now. Nothing was lost. Please try again in a minute.',
    },
    fallback: 'Something went wrong on our side.',
    reference: 'Reference',
  },
};

/**
 * The friendly page for a fault, in the visitor's language. With `retryAfterSeconds` (a page
 * that was asked for with GET, so loading it again is safe) the page reloads itself after that
 * long and says so: the visitor never has to work out when to try again.
 */
export function renderErrorPage(lang: Lang, code: ErrorCode, requestId: string | undefined, retryAfterSeconds?: number): string {
  const t = TEXT[lang];
  const retrying = retryAfterSeconds !== undefined && retryAfterSeconds > 0 ? Math.ceil(retryAfterSeconds) : undefined;
  return renderDocument(
    <Layout lang={lang} title={t.title} head={retrying ? <meta http-equiv="refresh" content={String(retrying)} /> : undefined}>
      <div class="card">
        <h1>{t.title}</h1>
        <p>{t.codes[code] ?? t.fallback}</p>
        <p class="note">{retrying ? t.retryIn(retrying) : t.retry}</p>
        {requestId ? (
          <p class="muted">
            {t.reference}: <span class="code">{requestId}</span>
          </p>
        ) : null}
      </div>
    </Layout>,
  );
}
