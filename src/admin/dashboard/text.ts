import type { RoomMode } from '../../config/schema.js';
import type { Lang } from '../../platform/i18n.js';

/** The dashboard's chart keys, in the order a room's card shows them. */
export const CHART_KEYS = ['active', 'waiting', 'rate', 'wait', 'latency', 'errors', 'drafts', 'submissions'] as const;
/** One of the dashboard's charts. */
export type ChartKey = (typeof CHART_KEYS)[number];

interface DashboardText {
  title: string;
  brand: string;
  live: string;
  reconnecting: string;
  noScript: string;
  login: { title: string; token: string; help: string; submit: string; wrong: string; loggedOut: string };
  logout: string;
  readOnly: string;
  /** A sign-in refused: too many wrong tokens from this address. */
  tooManyAttempts: string;
  noRooms: string;
  chartsSpan: string;
  since: (time: string) => string;
  modes: Record<RoomMode, string>;
  figures: Record<ChartKey, string>;
  series: Record<string, string>;
  unknown: string;
  autoActive: (since: string, reason: string) => string;
  perMinute: string;
  ofMax: (max: string) => string;
  rateLine: (configured: string, adaptive: string | null) => string;
  latencyLine: (p50: string, p95: string) => string;
  controls: {
    limits: string;
    mode: string;
    message: string;
    messageHelp: string;
    review: string;
    confirmTitle: string;
    confirmIntro: (room: string) => string;
    confirm: string;
    cancel: string;
    nothing: string;
    stale: string;
    done: (room: string) => string;
    field: Record<string, string>;
  };
  error: { title: string; back: string };
}

/** Every word the dashboard shows, in Vietnamese and English. */
export const DASHBOARD_TEXT: Readonly<Record<Lang, DashboardText>> = {
  vi: {
    title: 'Bảng điều khiển Sảnh',
    brand: 'Sảnh · dành cho người vận hành',
    live: 'Đang cập nhật trực tiếp',
    reconnecting: 'Mất kết nối, đang thử lại…',
    noScript: 'Trình duyệt không chạy JavaScript: trang tự tải lại mỗi 15 giây.',
    login: {
      title: 'Đăng nhập bảng điều khiển',
      token: 'Mã quản trị (SANH_ADMIN_TOKEN)',
      help: 'Mã được lưu trong cookie của trình duyệt này 12 giờ, không hiện lại ở đâu.',
      submit: 'Đăng nhập',
      wrong: 'Mã không đúng. Vui lòng thử lại.',
      loggedOut: 'Bạn đã đăng xuất.',
    },
    logout: 'Đăng xuất',
    readOnly: 'Mã của bạn chỉ được xem, không được thay đổi.',
    tooManyAttempts: 'Quá nhiều lần nhập sai mã từ địa chỉ này. Vui lòng đợi một phút rồi thử lại.',
    noRooms: 'Chưa có phòng chờ nào.',
    chartsSpan: '30 phút qua',
    since: (time) => `từ ${time} (giờ Việt Nam)`,
    modes: { open: 'Mở (xếp hàng khi đông)', 'queue-all': 'Xếp hàng tất cả', paused: 'Tạm dừng', passthrough: 'Cho qua (không xếp hàng)', closed: 'Đóng' },
    figures: {
      active: 'Đang sử dụng',
      waiting: 'Đang xếp hàng',
      rate: 'Tốc độ cho vào (lượt/phút)',
      wait: 'Thời gian chờ cho người mới đến',
      latency: 'Thời gian phản hồi của cổng',
      errors: 'Tỷ lệ lỗi của cổng',
      drafts: 'Bản nháp đã lưu (lượt/phút, mọi phòng)',
      submissions: 'Hồ sơ chờ gửi',
    },
    series: {
      active: 'đang sử dụng',
      maxActive: 'giới hạn',
      waiting: 'xếp hàng',
      configured: 'cấu hình',
      adaptive: 'tự điều chỉnh',
      actual: 'thực tế',
      wait: 'phút chờ',
      p50: 'p50',
      p95: 'p95',
      errors: 'lỗi',
      drafts: 'bản nháp',
      submissions: 'chờ gửi',
    },
    unknown: 'chưa rõ',
    autoActive: (since, reason) => `Tự bật xếp hàng lúc ${since} (cổng quá tải: ${reason}); tự trở lại cho qua khi cổng ổn định.`,
    perMinute: '/phút',
    ofMax: (max) => `trên tối đa ${max}`,
    rateLine: (configured, adaptive) => `cấu hình ${configured}${adaptive === null ? '' : ` · tự điều chỉnh ${adaptive}`}`,
    latencyLine: (p50, p95) => `p50 ${p50} · p95 ${p95}`,
    controls: {
      limits: 'Giới hạn',
      mode: 'Chế độ',
      message: 'Thông báo cho người dân (tùy chọn)',
      messageHelp: 'Hiện trên trang chờ khi tạm dừng hoặc đóng.',
      review: 'Xem lại thay đổi…',
      confirmTitle: 'Xác nhận thay đổi',
      confirmIntro: (room) => `Các thay đổi sau sẽ áp dụng ngay cho phòng «${room}» trên mọi máy chủ Sảnh:`,
      confirm: 'Xác nhận và áp dụng',
      cancel: 'Hủy',
      nothing: 'Không có gì thay đổi.',
      stale: 'Cài đặt đã thay đổi sau khi bạn xem lại (do người khác hoặc do tự động bật xếp hàng). Chưa có gì được áp dụng: vui lòng xem lại thay đổi.',
      done: (room) => `Đã áp dụng thay đổi cho phòng «${room}».`,
      field: {
        maxActive: 'Số người dùng tối đa cùng lúc (maxActive)',
        admitPerMinute: 'Số lượt cho vào mỗi phút (admitPerMinute)',
        mode: 'Chế độ',
        message: 'Thông báo',
      },
    },
    error: { title: 'Không thực hiện được', back: 'Quay lại bảng điều khiển' },
  },
  en: {
    title: 'Sảnh dashboard',
    brand: 'Sảnh · for operators',
    live: 'Live',
    reconnecting: 'Connection lost, retrying…',
    noScript: 'JavaScript is off: this page reloads itself every 15 seconds.',
    login: {
      title: 'Sign in to the dashboard',
      token: 'Admin token (SANH_ADMIN_TOKEN)',
      help: 'Kept in a cookie of this browser for 12 hours, never shown again.',
      submit: 'Sign in',
      wrong: 'That token is not right. Please try again.',
      loggedOut: 'You are signed out.',
    },
    logout: 'Sign out',
    readOnly: 'Your token may look, not change.',
    tooManyAttempts: 'Too many wrong tokens from this address. Please wait a minute and try again.',
    noRooms: 'There are no rooms.',
    chartsSpan: 'last 30 minutes',
    since: (time) => `since ${time} (Vietnam time)`,
    modes: { open: 'Open (queue when busy)', 'queue-all': 'Queue everyone', paused: 'Paused', passthrough: 'Passthrough (no line)', closed: 'Closed' },
    figures: {
      active: 'Active visitors',
      waiting: 'In line',
      rate: 'Admission rate (per minute)',
      wait: 'Wait for a new arrival',
      latency: 'Portal response time',
      errors: 'Portal error rate',
      drafts: 'Drafts saved (per minute, all rooms)',
      submissions: 'Submissions pending',
    },
    series: {
      active: 'active',
      maxActive: 'limit',
      waiting: 'in line',
      configured: 'configured',
      adaptive: 'adaptive',
      actual: 'actual',
      wait: 'minutes',
      p50: 'p50',
      p95: 'p95',
      errors: 'errors',
      drafts: 'drafts',
      submissions: 'pending',
    },
    unknown: 'not known yet',
    autoActive: (since, reason) => `Queueing switched itself on at ${since} (the portal struggled: ${reason}); back to passthrough once the portal is calm.`,
    perMinute: '/min',
    ofMax: (max) => `of at most ${max}`,
    rateLine: (configured, adaptive) => `configured ${configured}${adaptive === null ? '' : ` · adaptive ${adaptive}`}`,
    latencyLine: (p50, p95) => `p50 ${p50} · p95 ${p95}`,
    controls: {
      limits: 'Limits',
      mode: 'Mode',
      message: 'Message to citizens (optional)',
      messageHelp: 'Shown on the waiting page while paused or closed.',
      review: 'Review the change…',
      confirmTitle: 'Confirm the change',
      confirmIntro: (room) => `These changes apply at once to the room “${room}” on every Sảnh instance:`,
      confirm: 'Confirm and apply',
      cancel: 'Cancel',
      nothing: 'Nothing would change.',
      stale: 'The settings changed after you reviewed (someone else, or auto-activation). Nothing was applied: please review the change again.',
      done: (room) => `The change to the room “${room}” is in force.`,
      field: { maxActive: 'Most visitors at once (maxActive)', admitPerMinute: 'Admissions per minute (admitPerMinute)', mode: 'Mode', message: 'Message' },
    },
    error: { title: 'That did not work', back: 'Back to the dashboard' },
  },
};
