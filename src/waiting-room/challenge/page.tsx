import { raw } from 'hono/html';
import type { RoomConfig } from '../../config/schema.js';
import type { Lang } from '../../platform/i18n.js';
import { LanguageSwitch, Layout, renderDocument, ScriptData } from '../../platform/layout.js';
import { roomDisplayName } from '../pages/common.js';

const TEXT = {
  vi: {
    title: 'Kiểm tra nhanh trước khi vào hàng chờ',
    lead: 'Lúc này có nhiều truy cập tự động. Để giữ chỗ công bằng cho mọi người, trình duyệt của bạn cần làm một phép tính nhỏ.',
    working: 'Đang kiểm tra, thường mất vài giây…',
    done: 'Xong. Đang đưa bạn vào hàng chờ…',
    noScript: (s: number) => `Trình duyệt của bạn không chạy JavaScript. Hãy đợi ${s} giây rồi bấm nút bên dưới.`,
    tooEarly: (s: number) => `Bạn bấm hơi sớm. Hãy đợi thêm ${s} giây rồi bấm lại.`,
    failed: 'Lần kiểm tra trước không dùng được (đã hết hạn hoặc đã dùng rồi). Chúng tôi đã tạo một lần kiểm tra mới.',
    button: 'Tiếp tục',
  },
  en: {
    title: 'A quick check before you join the line',
    lead: 'Many automated visits are arriving right now. To keep places fair for everyone, your browser needs to do a small calculation.',
    working: 'Checking, this usually takes a few seconds…',
    done: 'Done. Taking you to the line…',
    noScript: (s: number) => `Your browser does not run JavaScript. Please wait ${s} seconds, then press the button below.`,
    tooEarly: (s: number) => `That was a little early. Please wait ${s} more seconds and press again.`,
    failed: 'The last check could not be used (it expired or was already used). We made a new one.',
    button: 'Continue',
  },
} as const;

/**
 * The solver: hashes `<token>:<counter>` with Web Crypto until the digest starts with enough
 * zero bits, in batches so the page stays responsive, then submits the form. Plain ES5 with
 * Promises; where Web Crypto is missing it shows the no-JavaScript path instead.
 */
const SOLVER = `(function(){var c=JSON.parse(document.getElementById('sanh-challenge').textContent),f=document.getElementById('sanh-solve'),s=document.getElementById('sanh-progress'),n=0;
var sub=window.crypto&&window.crypto.subtle;if(!sub||!window.TextEncoder||!window.Promise){document.getElementById('sanh-manual').hidden=false;return}
s.textContent=c.working;var enc=new TextEncoder();
function z(b){var k=0;for(var i=0;i<b.length;i++){if(b[i]===0){k+=8;continue}var x=b[i];while(!(x&128)){k++;x<<=1}return k}return k}
function batch(){var p=[];for(var i=0;i<64;i++)p.push(sub.digest('SHA-256',enc.encode(c.token+':'+(n+i))));
Promise.all(p).then(function(d){for(var i=0;i<d.length;i++){if(z(new Uint8Array(d[i]))>=c.bits){f.elements.counter.value=String(n+i);s.textContent=c.done;f.submit();return}}n+=64;setTimeout(batch,0)})}
batch()})();`;

/** What the challenge page shows. */
export interface ChallengePageProps {
  lang: Lang;
  room: RoomConfig;
  token: string;
  bits: number;
  /** Seconds the no-JavaScript path must wait. */
  waitSeconds: number;
  returnTo: string;
  otherLangUrl: string;
  problem?: 'too-early' | 'failed';
  /** Seconds still to wait after a too-early press. */
  remainingSeconds?: number;
}

/** The challenge page: an accessible progress line, the solver, and a no-JavaScript form. */
export function renderChallengePage(props: ChallengePageProps): string {
  const { lang, room } = props;
  const t = TEXT[lang];
  const field = (name: string, value: string) => <input type="hidden" name={name} value={value} />;
  return renderDocument(
    <Layout lang={lang} title={`${t.title} · ${roomDisplayName(room, lang)}`}>
      <div class="card">
        <p class="brand">{roomDisplayName(room, lang)}</p>
        <h1>{t.title}</h1>
        <p>{t.lead}</p>
        {props.problem === 'failed' ? <p class="note">{t.failed}</p> : null}
        {props.problem === 'too-early' ? <p class="note">{t.tooEarly(props.remainingSeconds ?? props.waitSeconds)}</p> : null}
        <p id="sanh-progress" role="status" aria-live="polite"></p>
        <form id="sanh-solve" method="post" action="/_sanh/challenge">
          {field('room', room.id)}
          {field('token', props.token)}
          {field('return', props.returnTo)}
          {field('counter', '')}
        </form>
        <noscript>
          <ManualForm {...props} />
        </noscript>
        <div id="sanh-manual" hidden>
          <ManualForm {...props} />
        </div>
      </div>
      <LanguageSwitch lang={lang} url={props.otherLangUrl} />
      <ScriptData id="sanh-challenge" value={{ token: props.token, bits: props.bits, working: t.working, done: t.done }} />
      <script>{raw(SOLVER)}</script>
    </Layout>,
  );
}

function ManualForm(props: ChallengePageProps) {
  const t = TEXT[props.lang];
  return (
    <form method="post" action="/_sanh/challenge">
      <p>{t.noScript(props.waitSeconds)}</p>
      <input type="hidden" name="room" value={props.room.id} />
      <input type="hidden" name="token" value={props.token} />
      <input type="hidden" name="return" value={props.returnTo} />
      <input type="hidden" name="nojs" value="1" />
      <button type="submit">{t.button}</button>
    </form>
  );
}
