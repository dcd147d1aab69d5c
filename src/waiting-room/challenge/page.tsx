import { raw } from 'hono/html';
import type { RoomConfig } from '../../config/schema.js';
import type { Lang } from '../../platform/i18n.js';
import { LanguageSwitch, Layout, renderDocument, ScriptData } from '../../platform/layout.js';
import { roomDisplayName } from '../pages/common.js';

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

/**
 * A SHA-256 of ASCII text in plain ES5, for browsers without Web Crypto (old ones, and any page
 * served over plain HTTP, where `crypto.subtle` is missing), and wherever it is faster (in
 * Chromium it does about 300,000 hashes a second against Web Crypto's 60,000-150,000, whose
 * every digest is a promise). `sanhSha(prefix)` hashes the prefix's whole 64-byte blocks once
 * and returns a function from a suffix to the digest as eight signed 32-bit words. The
 * constants are computed (fractional parts of square and cube roots of the first primes).
 */
export const SHA256_ES5 = `function sanhSha(prefix){var K=[],H=[],w=[],p=2,i,j,n=prefix.length,pre=[],full,mid,rest;
function fr(x){return(x-Math.floor(x))*4294967296|0}
for(i=0;i<64;p++){for(j=2;j*j<=p&&p%j;j++);if(j*j>p){if(i<8)H[i]=fr(Math.sqrt(p));K[i++]=fr(Math.pow(p,1/3))}}
function blk(h,m,o){var a,b,c,d,e,f,g,k,t,x,y;
for(t=0;t<16;t++){x=o+t*4;w[t]=m[x]<<24|m[x+1]<<16|m[x+2]<<8|m[x+3]}
for(t=16;t<64;t++){x=w[t-15];y=w[t-2];w[t]=w[t-16]+((x>>>7|x<<25)^(x>>>18|x<<14)^x>>>3)+w[t-7]+((y>>>17|y<<15)^(y>>>19|y<<13)^y>>>10)|0}
a=h[0];b=h[1];c=h[2];d=h[3];e=h[4];f=h[5];g=h[6];k=h[7];
for(t=0;t<64;t++){x=k+((e>>>6|e<<26)^(e>>>11|e<<21)^(e>>>25|e<<7))+(e&f^~e&g)+K[t]+w[t]|0;
y=((a>>>2|a<<30)^(a>>>13|a<<19)^(a>>>22|a<<10))+(a&b^a&c^b&c)|0;
k=g;g=f;f=e;e=d+x|0;d=c;c=b;b=a;a=x+y|0}
h[0]=h[0]+a|0;h[1]=h[1]+b|0;h[2]=h[2]+c|0;h[3]=h[3]+d|0;h[4]=h[4]+e|0;h[5]=h[5]+f|0;h[6]=h[6]+g|0;h[7]=h[7]+k|0}
for(i=0;i<n;i++)pre[i]=prefix.charCodeAt(i)&255;
full=n-n%64;mid=H.slice();for(i=0;i<full;i+=64)blk(mid,pre,i);rest=pre.slice(full);
return function(s){var m=rest.slice(),L=n+s.length,h=mid.slice(),i;
for(i=0;i<s.length;i++)m.push(s.charCodeAt(i)&255);
m.push(128);while(m.length%64!==56)m.push(0);
m.push(0,0,0,L>>>29,L>>>21&255,L>>>13&255,L>>>5&255,L<<3&255);
for(i=0;i<m.length;i+=64)blk(h,m,i);return h}}`;

/**
 * The solver: tries counters until SHA-256 of `<token>:<counter>` starts with enough zero bits,
 * then submits the form. After 15 ms of the ES5 hash (for the JIT to compile it), it times one
 * batch of Web Crypto digests against 20 ms more of the ES5 hash and goes on with the faster
 * (Web Crypto wins where JavaScript is not compiled, e.g. iOS Lockdown Mode); without Web
 * Crypto, or if it fails, the ES5 hash does it all. Work comes in slices with a timer between
 * (chained promises alone would hold off the page's load event and its painting), so the page
 * stays responsive and the progress bar moves. The
 * Continue button (the no-JavaScript path) is hidden while it works, and shown again once the
 * no-JavaScript wait is over, so a slow phone never waits longer than a visitor without
 * JavaScript. Plain ES5.
 */
const SOLVER = `(function(){var d=document;function $(i){return d.getElementById(i)}
var c=JSON.parse($('sanh-challenge').textContent),f=$('sanh-solve'),s=$('sanh-progress'),bar=$('sanh-bar'),m=$('sanh-manual'),
E=Math.pow(2,c.bits),n=0,end=0,h,sub=window.crypto&&window.crypto.subtle,enc=window.TextEncoder&&new TextEncoder();
function vis(e,on){if(on)e.removeAttribute('hidden');else e.setAttribute('hidden','')}
function manual(){if(!end){$('sanh-manual-text').textContent=c.t.slow;vis(m,1)}}
function found(k){end=1;bar.value=1;s.textContent=c.t.done;vis(m,0);f.elements.counter.value=String(k);f.submit()}
function zw(h){var k=0,i,x;for(i=0;i<8;i++){x=h[i];if(x===0){k+=32;continue}while(x>0){k++;x<<=1}return k}return k}
function zb(b){var k=0,i,x;for(i=0;i<b.length;i++){x=b[i];if(x===0){k+=8;continue}while(x<128){k++;x<<=1}return k}return k}
function shown(){bar.value=1-Math.exp(-n/E)}
function slice(ms){h=h||sanhSha(c.token+':');var t=Date.now(),k;do{for(k=0;k<64;k++,n++)if(zw(h(String(n)))>=c.bits){found(n);return 1}}while(Date.now()-t<ms);shown();return 0}
function js(){if(!end&&!slice(50))setTimeout(js,0)}
function batch(){var a=n,p=[],i;n+=1024;for(i=0;i<1024;i++)p.push(sub.digest('SHA-256',enc.encode(c.token+':'+(a+i))));
return Promise.all(p).then(function(r){for(i=0;i<1024;i++)if(zb(new Uint8Array(r[i]))>=c.bits){found(a+i);return 1}shown();return 0})}
function native(){batch().then(function(f){if(!f&&!end)setTimeout(native,0)},js)}
function race(){if(slice(15))return;var t=Date.now();batch().then(function(f){if(f)return;var web=1024/Math.max(1,Date.now()-t),b=n,u=Date.now();
if(!slice(20)){if((n-b)/Math.max(1,Date.now()-u)>web)js();else native()}},js)}
vis(m,0);vis(bar,1);s.textContent=c.t.working;setTimeout(manual,Math.max(c.wait,3)*1000);
try{if(sub&&enc&&window.Promise)race();else js()}catch(e){try{js()}catch(x){end=1;vis(m,1)}}})();`;

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
 * The page's style sheet (its progress bar, Sảnh's primary button), pinned by hash in
 * `platform/security-headers.ts`. The kept-submission page uses it as it is for its button.
 */
export const STYLE = `progress{display:block;width:100%;height:.75rem;margin:.5rem 0 1rem}
button{font:inherit;font-weight:600;min-height:2.75rem;padding:.5rem 1.5rem;border:0;border-radius:.5rem;background:#0b5cad;color:#fff;cursor:pointer}
button:focus{outline:.1875rem solid #1b1f24;outline-offset:.125rem}`;

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
      <script>{raw(`${SHA256_ES5}\n${SOLVER}`)}</script>
    </Layout>,
  );
}
