import { raw } from 'hono/html';
import type { RoomConfig } from '../../config/schema.js';
import { formatMoment, type Lang } from '../../platform/i18n.js';
import { LanguageSwitch, Layout, renderDocument, ScriptData } from '../../platform/layout.js';
import { COUNTDOWN_JS } from '../client/assets.generated.js';
import { NoScriptRefresh, randomJitterMs, roomDisplayName } from './common.js';

const TEXT = {
  vi: {
    title: (when: string) => `Dịch vụ mở lúc ${when}`,
    lottery: 'Ai đến trước giờ mở đều được xếp chỗ bằng bốc thăm công bằng, ngay lúc mở.',
    relax: 'Bạn không cần vội. Bạn không cần tải lại trang.',
    left: 'Còn lại',
    days: ['ngày', 'ngày'],
    atOpening: 'Đến giờ, trang sẽ tự chuyển và cho bạn biết số thứ tự.',
    entry: 'Mã bốc thăm của bạn',
    entryNote: 'Bạn có thể ghi lại mã này để tự kiểm tra kết quả.',
    how: 'Bốc thăm diễn ra thế nào?',
    steps: [
      'Mỗi người đến trước giờ mở nhận một mã như trên.',
      'Đúng giờ mở, các mã được xếp theo một thứ tự ngẫu nhiên. Đến sớm hay muộn hơn trong lúc chờ đều như nhau.',
      'Sau giờ mở, chúng tôi công bố số ngẫu nhiên đã dùng và danh sách mã. Ai cũng có thể kiểm tra lại.',
    ],
    result: 'Xem kết quả bốc thăm',
    commitment: 'Dấu kiểm tra của số ngẫu nhiên, công bố trước giờ mở (SHA-256):',
    commitmentNote: 'Nhờ dấu này, ai cũng thấy số ngẫu nhiên không bị đổi sau đó.',
  },
  en: {
    title: (when: string) => `This service opens at ${when}`,
    lottery: 'Everyone who arrives before then gets a place in line by a fair lottery at opening time.',
    relax: 'You do not need to hurry. You do not need to reload this page.',
    left: 'Time left',
    days: ['day', 'days'],
    atOpening: 'At opening time, this page moves on by itself and shows your place in line.',
    entry: 'Your lottery code',
    entryNote: 'You can write this code down to check the result yourself.',
    how: 'How does the lottery work?',
    steps: [
      'Everyone who arrives before opening time gets a code like yours.',
      'At opening time, the codes are put in a random order. Arriving earlier or later during the wait makes no difference.',
      'After opening, we publish the random number we used and the list of codes. Anyone can check the result.',
    ],
    result: 'See the lottery result',
    commitment: 'Fingerprint of the random number, published before opening (SHA-256):',
    commitmentNote: 'This fingerprint lets anyone see that the random number was not changed later.',
  },
} as const;

/** Everything the pre-queue countdown page shows. */
export interface CountdownPageProps {
  lang: Lang;
  room: RoomConfig;
  /** When the event opens and the lottery is drawn (epoch ms). */
  opensAt: number;
  /** Now (epoch ms), by the server's clock. */
  now: number;
  /** The visitor's lottery entry code. */
  entry: string;
  /** SHA-256 of the lottery seed (hex), shown so the draw can be audited afterwards. */
  commitment?: string;
  /** The status address the page asks now and then while it counts down. */
  statusUrl: string;
  /** Where the page goes at opening time (the page the visitor asked for). */
  returnTo: string;
  /** The same page in the other language. */
  otherLangUrl: string;
  /** Random delay added to the move at opening (ms), up to 5 s by default, so visitors do not all arrive at once. */
  jitterMs?: number;
}

/** Seconds between the countdown page's status requests: a third of the room's abandonment time, 10 to 60 s. */
export function countdownBeatSeconds(room: RoomConfig): number {
  return Math.min(60, Math.max(10, Math.floor(room.abandonAfterSeconds / 3)));
}

/** `HH:MM:SS` (with "N days" in front past a day) of a number of seconds, as the script shows it. */
function clock(seconds: number, days: readonly [string, string]): string {
  const p2 = (n: number) => String(n).padStart(2, '0');
  const d = Math.floor(seconds / 86_400);
  const x = seconds % 86_400;
  return `${d ? `${d} ${days[d > 1 ? 1 : 0]} ` : ''}${p2(Math.floor(x / 3600))}:${p2(Math.floor((x % 3600) / 60))}:${p2(x % 60)}`;
}

/**
 * The pre-queue page, before a scheduled opening: when the service opens, that everyone who
 * arrives before then gets a place by fair lottery (no need to hurry or reload), a live
 * countdown that moves on at opening (plus up to 5 s of jitter), the visitor's entry code, and
 * how the lottery works with a link to its published record (`/_sanh/lottery?room=<id>`).
 * Without JavaScript, a `<noscript>` refresh comes back at opening or at the status interval.
 */
export function renderCountdownPage(props: CountdownPageProps): string {
  const { lang, room, opensAt, now } = props;
  const t = TEXT[lang];
  const jitterMs = props.jitterMs ?? randomJitterMs(5_000);
  const left = Math.max(0, Math.ceil((opensAt - now) / 1000));
  const beat = countdownBeatSeconds(room);
  const name = roomDisplayName(room, lang);
  const title = t.title(formatMoment(opensAt, now, lang));
  const config = { left, jitter: jitterMs / 1000, beat, days: t.days, status: props.statusUrl, back: props.returnTo };
  return renderDocument(
    <Layout lang={lang} title={`${title} · ${name}`} head={<NoScriptRefresh seconds={Math.min(left + jitterMs / 1000, beat)} />}>
      <div class="card">
        <p class="brand">{name}</p>
        <h1>{title}</h1>
        <p>{t.lottery}</p>
        <p>
          <strong>{t.relax}</strong>
        </p>
        <div>{t.left}</div>
        <div class="big" id="sanh-left" role="timer">
          {clock(left, t.days)}
        </div>
        <p class="note">{t.atOpening}</p>
        <div>{t.entry}</div>
        <p class="code entry" id="sanh-entry">
          {props.entry}
        </p>
        <p class="muted">{t.entryNote}</p>
        <h2>{t.how}</h2>
        <ul class="note">
          {t.steps.map((step) => (
            <li>{step}</li>
          ))}
        </ul>
        <p>
          <a href={`/_sanh/lottery?room=${encodeURIComponent(room.id)}`}>{t.result}</a>
        </p>
        {props.commitment ? (
          <div class="muted">
            <p>{t.commitment}</p>
            <p class="code">{props.commitment}</p>
            <p>{t.commitmentNote}</p>
          </div>
        ) : null}
      </div>
      <LanguageSwitch lang={lang} url={props.otherLangUrl} />
      <ScriptData id="sanh-cd" value={config} />
      <script>{raw(COUNTDOWN_JS)}</script>
    </Layout>,
  );
}
