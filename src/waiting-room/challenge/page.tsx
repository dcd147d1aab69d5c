import { raw } from 'hono/html';
import type { RoomConfig } from '../../config/schema.js';
import type { Lang } from '../../platform/i18n.js';
import { LanguageSwitch, Layout, renderDocument, ScriptData } from '../../platform/layout.js';
import { roomDisplayName } from '../pages/common.js';
import { CHALLENGE_CSS, SHA256_JS, SOLVER_JS } from './client/assets.generated.js';

/** The page's SHA-256 in plain ES5 (`client/sha256.js`, minified): `sanhSha(prefix)(suffix)`. */
export const SHA256_ES5: string = SHA256_JS;

/**
 * The page's style sheet (`client/challenge.css`: its progress bar, Sảnh's primary button), pinned
 * by hash in `platform/security-headers.ts`. The kept-submission page uses it as it is for its button.
 */
export const STYLE: string = CHALLENGE_CSS;

const seconds: Record<Lang, (s: number) => string> = {
  vi: (s) => `${s} giây`,
  en: (s) => (s === 1 ? '1 second' : `${s} seconds`),
};

const TEXT = {
  vi: {
    title: 'Kiểm tra nhanh trước khi vào hàng chờ',
    lead: 'Lúc này có nhiều truy cập tự động. Để giữ chỗ công bằng cho mọi người, chúng tôi kiểm tra nhanh trước khi xếp chỗ cho bạn.',
    shared:
      'Lúc này có rất nhiều người cùng vào hàng chờ từ mạng bạn đang dùng (ví dụ mạng di động hay mạng của một văn phòng). Để giữ chỗ công bằng cho mọi người, chúng tôi kiểm tra nhanh trước khi xếp chỗ cho bạn. Bạn không làm gì sai cả.',
    after: 'Xong bước này, bạn được xếp chỗ trong hàng chờ ngay.',
    privacy: 'Bước này không đọc và không gửi đi thông tin nào của bạn.',
    working: 'Trình duyệt của bạn đang tự kiểm tra, bạn không cần làm gì. Thường chỉ mất vài giây.',
    done: 'Xong. Đang đưa bạn vào hàng chờ…',
    slow: 'Vẫn đang kiểm tra. Bạn có thể bấm Tiếp tục ngay bây giờ.',
    progress: 'Tiến độ kiểm tra',
    wait: (s: number) =>
      `Trình duyệt của bạn không chạy JavaScript, nên bạn chỉ cần chờ một chút: hãy đợi ${seconds.vi(s)} rồi bấm Tiếp tục. Trang sẽ tự báo khi đến lúc.`,
    ready: 'Bạn có thể tiếp tục. Hãy bấm Tiếp tục.',
    button: 'Tiếp tục',
    problem: {
      'too-early': (s: number) => `Bạn bấm hơi sớm. Hãy đợi thêm ${seconds.vi(s)} rồi bấm lại.`,
      expired: () => 'Lần kiểm tra trước đã hết hạn, nên chúng tôi bắt đầu lần mới.',
      used: () => 'Lần kiểm tra trước đã được dùng rồi, nên chúng tôi bắt đầu lần mới.',
      wrong: () => 'Lần kiểm tra trước không thành công, nên chúng tôi bắt đầu lần mới.',
    },
  },
  en: {
    title: 'A quick check before you join the line',
    lead: 'Many automated visits are arriving right now. To keep places in line fair for everyone, we make a quick check before giving you a place.',
    shared:
      'Very many people are joining the line from the network you are on right now (a mobile network or an office connection, for example). To keep places in line fair for everyone, we make a quick check before giving you a place. You have done nothing wrong.',
    after: 'Right after this step, you get your place in line.',
    privacy: 'This step does not read or send any of your information.',
    working: 'Your browser is doing the check by itself; you do not need to do anything. This usually takes a few seconds.',
    done: 'Done. Taking you to the line…',
    slow: 'Still checking. You can press Continue now.',
    progress: 'Progress of the check',
    wait: (s: number) =>
      `Your browser is not running JavaScript, so you only need to wait a moment: wait ${seconds.en(s)}, then press Continue. This page will tell you when.`,
    ready: 'You can continue now. Press Continue.',
    button: 'Continue',
    problem: {
      'too-early': (s: number) => `That was a little early. Please wait ${seconds.en(s)} more, then press again.`,
      expired: () => 'The last check had expired, so we started a new one.',
      used: () => 'The last check had already been used, so we started a new one.',
      wrong: () => 'The last check did not succeed, so we started a new one.',
    },
  },
} as const;

/** Why the visitor sees the page again after posting an answer. */
export type ChallengeProblem = keyof (typeof TEXT)['vi']['problem'];

/** What the challenge page shows. */
export interface ChallengePageProps {
  lang: Lang;
  room: RoomConfig;
  /** The signed puzzle. */
  token: string;
  difficultyBits: number;
  /** Whole seconds until the no-JavaScript answer is accepted (0: now). */
  waitSeconds: number;
  /** Where the visitor goes once through (a same-site path). */
  returnTo: string;
  /** This puzzle's page, for the no-JavaScript refresh once the wait is over. */
  readyUrl: string;
  /** This puzzle's page in the other language. */
  otherLangUrl: string;
  /** Why the visitor sees the page again (the puzzle is then a new one, but for `too-early`). */
  problem?: ChallengeProblem;
  /** Why the check is asked: the room asks everyone (`room`, the default), or many joins come from the visitor's network (`shared-address`). */
  reason?: 'room' | 'shared-address';
}

/**
 * The challenge page, complete without JavaScript: one form posts either the counter the script
 * found or, from the visitor's press on Continue, `nojs=1`. Without JavaScript the wait is
 * announced and a refresh (in `<noscript>`) shows the page again, ready, when it is over.
 */
export function renderChallengePage(props: ChallengePageProps): string {
  const { lang, room, waitSeconds } = props;
  const t = TEXT[lang];
  const name = roomDisplayName(room, lang);
  const head = (
    <>
      {waitSeconds > 0 ? (
        <noscript>
          <meta http-equiv="refresh" content={`${waitSeconds};url=${props.readyUrl}`} />
        </noscript>
      ) : null}
      <style>{raw(STYLE)}</style>
    </>
  );
  return renderDocument(
    <Layout lang={lang} title={`${t.title} · ${name}`} head={head}>
      <div class="card">
        <p class="brand">{name}</p>
        <h1>{t.title}</h1>
        {props.problem ? (
          <div class="notice">
            <p>{t.problem[props.problem](waitSeconds)}</p>
          </div>
        ) : null}
        <p>{props.reason === 'shared-address' ? t.shared : t.lead}</p>
        <p id="sanh-progress" role="status" aria-live="polite"></p>
        <progress id="sanh-bar" max="1" value="0" aria-label={t.progress} hidden></progress>
        <form id="sanh-solve" method="post" action={`/_sanh/challenge?lang=${lang}`}>
          <input type="hidden" name="room" value={room.id} />
          <input type="hidden" name="token" value={props.token} />
          <input type="hidden" name="return" value={props.returnTo} />
          <input type="hidden" name="counter" value="" />
          <div id="sanh-manual">
            <p id="sanh-manual-text">{waitSeconds > 0 ? t.wait(waitSeconds) : t.ready}</p>
            <button type="submit" name="nojs" value="1">
              {t.button}
            </button>
          </div>
        </form>
        <p class="note">{t.after}</p>
        <p class="muted">{t.privacy}</p>
      </div>
      <LanguageSwitch lang={lang} url={props.otherLangUrl} />
      <ScriptData
        id="sanh-challenge"
        value={{ token: props.token, bits: props.difficultyBits, wait: waitSeconds, t: { working: t.working, done: t.done, slow: t.slow } }}
      />
      <script>{raw(`${SHA256_JS}\n${SOLVER_JS}`)}</script>
    </Layout>,
  );
}
