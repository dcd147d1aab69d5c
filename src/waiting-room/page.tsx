import { raw } from 'hono/html';
import type { RoomConfig } from '../config/schema.js';
import { formatClockTime, formatWait, type Lang } from '../platform/i18n.js';
import { Layout, renderDocument } from '../platform/layout.js';
import type { QueueStatus } from './visit.js';

const TEXT = {
  vi: {
    title: 'Bạn đang trong hàng chờ',
    portal: 'Cổng dịch vụ công',
    position: 'Vị trí của bạn',
    ahead: (n: number) => (n === 0 ? 'Bạn là người tiếp theo.' : `Có ${n} người trước bạn.`),
    aheadTemplate: 'Có {n} người trước bạn.',
    aheadOne: 'Có 1 người trước bạn.',
    next: 'Bạn là người tiếp theo.',
    wait: 'Thời gian chờ ước tính',
    unknown: 'chưa xác định được',
    updated: 'Cập nhật lúc',
    keep: 'Hệ thống đang đông người truy cập nên bạn được xếp hàng theo thứ tự đến trước. Hãy giữ trang này mở: trang tự cập nhật và khi đến lượt, bạn sẽ được chuyển tới trang đã yêu cầu.',
    reload: 'Tải lại trang không làm mất chỗ của bạn.',
    other: 'English',
    lt1: 'dưới 1 phút',
    min: 'khoảng {n} phút',
    hours: 'khoảng {h} giờ {m} phút',
  },
  en: {
    title: 'You are in line',
    portal: 'E-services portal',
    position: 'Your place in line',
    ahead: (n: number) => (n === 0 ? 'You are next.' : `${n} ${n === 1 ? 'person is' : 'people are'} ahead of you.`),
    aheadTemplate: '{n} people are ahead of you.',
    aheadOne: '1 person is ahead of you.',
    next: 'You are next.',
    wait: 'Estimated wait',
    unknown: 'not yet known',
    updated: 'Updated at',
    keep: 'Many people are using the service right now, so visitors are let in in the order they arrived. Keep this page open: it updates by itself and takes you to the page you asked for when it is your turn.',
    reload: 'Reloading the page does not lose your place.',
    other: 'Tiếng Việt',
    lt1: 'under a minute',
    min: 'about {n} minutes',
    hours: 'about {h} h {m} min',
  },
} as const;

/**
 * The poller: asks `/_sanh/status` after the server's suggested delay (with jitter), backs off
 * on errors, pauses while the tab is hidden, and goes to the requested page once admitted.
 * Plain ES5 for old phones; no dependencies.
 */
const POLLER = `(function(){var c=JSON.parse(document.getElementById('sanh-cfg').textContent),t,f=0;
function $(i){return document.getElementById(i)}
function w(s){if(s===null)return c.t.unknown;if(s<60)return c.t.lt1;var m=Math.round(s/60);if(m<90)return c.t.min.replace('{n}',m);return c.t.hours.replace('{h}',Math.floor(m/60)).replace('{m}',m%60)}
function p2(n){return(n<10?'0':'')+n}
function later(s){clearTimeout(t);if(document.hidden)return;t=setTimeout(poll,s*1000*(0.8+Math.random()*0.4))}
function fail(){f++;later(Math.min(60,c.poll*Math.pow(2,f)))}
function poll(){var x=new XMLHttpRequest();x.open('GET',c.status,true);x.setRequestHeader('Accept','application/json');
x.onload=function(){if(x.status!==200)return fail();var s;try{s=JSON.parse(x.responseText)}catch(e){return fail()}f=0;
if(s.state!=='queued'){location.replace(c.back);return}
$('sanh-pos').textContent=s.position;$('sanh-ahead').textContent=s.ahead===0?c.t.next:s.ahead===1?c.t.one:c.t.ahead.replace('{n}',s.ahead);
$('sanh-eta').textContent=w(s.etaSeconds);var d=new Date();$('sanh-time').textContent=p2(d.getHours())+':'+p2(d.getMinutes())+':'+p2(d.getSeconds());
later(s.pollAfterSeconds)};x.onerror=fail;x.send()}
document.addEventListener('visibilitychange',function(){if(document.hidden)clearTimeout(t);else poll()});later(c.poll)})();`;

/** Everything the waiting page shows. */
export interface WaitingPageProps {
  lang: Lang;
  room: RoomConfig;
  status: QueueStatus;
  /** Where the visitor goes once admitted (the page they asked for). */
  returnTo: string;
  /** The same page in the other language. */
  otherLangUrl: string;
}

/** The server-rendered waiting page: complete without JavaScript, live with it. */
export function renderWaitingPage(props: WaitingPageProps): string {
  const { lang, room, status } = props;
  const t = TEXT[lang];
  const config = {
    status: `/_sanh/status?room=${encodeURIComponent(room.id)}`,
    back: props.returnTo,
    poll: status.pollAfterSeconds,
    t: { ahead: t.aheadTemplate, one: t.aheadOne, next: t.next, unknown: t.unknown, lt1: t.lt1, min: t.min, hours: t.hours },
  };
  const json = JSON.stringify(config).replace(/</g, '\\u003c');
  const head = (
    <noscript>
      <meta http-equiv="refresh" content={String(status.pollAfterSeconds)} />
    </noscript>
  );
  return renderDocument(
    <Layout lang={lang} title={`${t.title} · ${room.name?.[lang] ?? t.portal}`} head={head}>
      <div class="card" role="status" aria-live="polite">
        <p class="brand">{room.name?.[lang] ?? t.portal}</p>
        <h1>{t.title}</h1>
        <div>{t.position}</div>
        <div class="big" id="sanh-pos">
          {status.position ?? '—'}
        </div>
        <p id="sanh-ahead">{status.ahead === null ? '' : t.ahead(status.ahead)}</p>
        <dl>
          <dt>{t.wait}</dt>
          <dd id="sanh-eta">{status.etaSeconds === null ? t.unknown : formatWait(status.etaSeconds, lang)}</dd>
          <dt>{t.updated}</dt>
          <dd id="sanh-time">{formatClockTime(status.updatedAt)}</dd>
        </dl>
        <p class="note">{t.keep}</p>
        <p class="muted">{t.reload}</p>
      </div>
      <nav>
        <a href={props.otherLangUrl} hreflang={lang === 'vi' ? 'en' : 'vi'}>
          {t.other}
        </a>
      </nav>
      <script type="application/json" id="sanh-cfg">
        {raw(json)}
      </script>
      <script>{raw(POLLER)}</script>
    </Layout>,
  );
}
