import type { Child } from 'hono/jsx';
import { ROOM_MODES } from '../../config/schema.js';
import { LANG_NAMES, otherLang, type Lang } from '../../platform/i18n.js';
import { HtmlDocument, renderDocument } from '../../platform/layout.js';
import { DASHBOARD_CSS } from './client/assets.generated.js';
import { DASHBOARD_TEXT, type ChartKey } from './text.js';
import { CHART_SIZE, type ChartView, type RoomBoard } from './view.js';

/** The dashboard's own script, served from the admin listener (no inline script: the CSP allows only 'self'). */
export const DASHBOARD_SCRIPT_PATH = '/dashboard/app.js';

function Shell(props: { lang: Lang; title: string; refresh?: boolean; script?: boolean; children: Child }) {
  const head = (
    <>
      {props.refresh ? (
        <noscript>
          <meta http-equiv="refresh" content="15" />
        </noscript>
      ) : null}
      {props.script ? <script src={DASHBOARD_SCRIPT_PATH} defer></script> : null}
    </>
  );
  return (
    <HtmlDocument lang={props.lang} title={props.title} head={head} style={DASHBOARD_CSS}>
      {props.children}
    </HtmlDocument>
  );
}

function LanguageLink(props: { lang: Lang; href: string }) {
  const other = otherLang(props.lang);
  return (
    <a href={props.href} hreflang={other} lang={other}>
      {LANG_NAMES[other]}
    </a>
  );
}

/** A chart's lines and top label: also sent on its own over Server-Sent Events (`chartMarkup`). */
export function ChartLines(props: { chart: ChartView }) {
  return (
    <>
      <text x="3" y="10">
        {props.chart.top}
      </text>
      {props.chart.lines.flatMap((line) => line.runs.map((points) => <polyline class={`s${line.slot}${line.limit ? ' limit' : ''}`} points={points} />))}
    </>
  );
}

/** The markup of a chart's lines, for a live update. */
export function chartMarkup(chart: ChartView): string {
  return String(<ChartLines chart={chart} />);
}

/** The smaller text after a tile's figure, by chart. */
const DETAIL_OF_CHART: Partial<Record<ChartKey, string>> = { active: 'activeMax', rate: 'rateDetail' };

function Tile(props: { room: RoomBoard; chart: ChartView; lang: Lang }) {
  const { room, chart } = props;
  const text = DASHBOARD_TEXT[props.lang];
  const valueKey = chart.key;
  const detailKey = DETAIL_OF_CHART[chart.key];
  return (
    <section class="tile" data-tile={chart.key}>
      <h3>{chart.title}</h3>
      <p class="value">
        <span data-value={`${room.id}:${valueKey}`}>{room.values[valueKey]}</span>
        {detailKey ? (
          <>
            {' '}
            <small data-value={`${room.id}:${detailKey}`}>{room.values[detailKey]}</small>
          </>
        ) : null}
      </p>
      <svg
        class="chart"
        viewBox={`0 0 ${CHART_SIZE.width} ${CHART_SIZE.height}`}
        preserveAspectRatio="none"
        role="img"
        aria-label={`${chart.title}, ${text.chartsSpan}`}
      >
        <g data-chart={`${room.id}:${chart.key}`}>
          <ChartLines chart={chart} />
        </g>
      </svg>
      <p class="legend">
        {chart.lines.map((line) => (
          <span>
            <i class={line.limit ? 'klimit' : `k${line.slot}`}></i>
            {line.label}
          </span>
        ))}
      </p>
    </section>
  );
}

function Controls(props: { room: RoomBoard; lang: Lang; formToken: string }) {
  const { room, lang } = props;
  const text = DASHBOARD_TEXT[lang].controls;
  const modes = DASHBOARD_TEXT[lang].modes;
  return (
    <form class="controls" method="post" action={`/dashboard/rooms/${encodeURIComponent(room.id)}/review`}>
      <input type="hidden" name="form" value={props.formToken} />
      <input type="hidden" name="lang" value={lang} />
      <input type="hidden" name="version" value={String(room.settings.version)} />
      <input type="hidden" name="was_maxActive" value={String(room.settings.maxActive)} />
      <input type="hidden" name="was_admitPerMinute" value={String(room.settings.admitPerMinute)} />
      <input type="hidden" name="was_mode" value={room.mode} />
      <input type="hidden" name="was_message_vi" value={room.settings.message.vi} />
      <input type="hidden" name="was_message_en" value={room.settings.message.en} />
      <fieldset>
        <legend>{text.limits}</legend>
        <label>
          {text.field.maxActive}
          <input type="number" name="maxActive" min="0" step="1" required value={String(room.settings.maxActive)} />
        </label>
        <label>
          {text.field.admitPerMinute}
          <input type="number" name="admitPerMinute" min="0" step="any" required value={String(room.settings.admitPerMinute)} />
        </label>
      </fieldset>
      <fieldset>
        <legend>{text.mode}</legend>
        <label>
          {text.field.mode}
          <select name="mode">
            {ROOM_MODES.map((mode) => (
              <option value={mode} selected={mode === room.mode}>
                {modes[mode]}
              </option>
            ))}
          </select>
        </label>
        <label title={text.messageHelp}>
          {text.message} · Tiếng Việt
          <textarea name="message_vi" maxlength={1000}>
            {room.settings.message.vi}
          </textarea>
        </label>
        <label title={text.messageHelp}>
          {text.message} · English
          <textarea name="message_en" maxlength={1000}>
            {room.settings.message.en}
          </textarea>
        </label>
      </fieldset>
      <button class="primary" type="submit">
        {text.review}
      </button>
    </form>
  );
}

function TopBar(props: { lang: Lang; title: string; otherLangHref: string; formToken?: string; live?: boolean }) {
  const text = DASHBOARD_TEXT[props.lang];
  return (
    <header class="top">
      <h1>{props.title}</h1>
      {props.live ? (
        <p id="live" role="status" data-live={text.live} data-lost={text.reconnecting}>
          {text.live}
        </p>
      ) : null}
      <span>
        <LanguageLink lang={props.lang} href={props.otherLangHref} />
        {props.formToken ? (
          <>
            {' · '}
            <form method="post" action="/dashboard/logout">
              <input type="hidden" name="form" value={props.formToken} />
              <input type="hidden" name="lang" value={props.lang} />
              <button type="submit">{text.logout}</button>
            </form>
          </>
        ) : null}
      </span>
    </header>
  );
}

/** The dashboard: a card per room with live figures, 30-minute charts and (with an `operate` token) controls. */
export function renderDashboardPage(props: { lang: Lang; rooms: RoomBoard[]; canOperate: boolean; formToken: string; notice?: string }): string {
  const text = DASHBOARD_TEXT[props.lang];
  return renderDocument(
    <Shell lang={props.lang} title={text.title} refresh script>
      <TopBar lang={props.lang} title={text.title} otherLangHref={`/dashboard?lang=${otherLang(props.lang)}`} formToken={props.formToken} live />
      <main>
        <noscript>
          <p class="notice">{text.noScript}</p>
        </noscript>
        {props.notice ? (
          <p class="notice" role="status">
            {props.notice}
          </p>
        ) : null}
        {props.canOperate ? null : <p class="notice problem">{text.readOnly}</p>}
        {props.rooms.length === 0 ? <p>{text.noRooms}</p> : null}
        {props.rooms.map((room) => (
          <article class="room" id={`room-${room.id}`} data-room={room.id}>
            <header>
              <h2>{room.name}</h2>
              <span class="muted">{room.id}</span>
              <span class={`badge ${room.mode}`} data-value={`${room.id}:mode`}>
                {room.values.mode}
              </span>
              <span class="auto" data-value={`${room.id}:auto`}>
                {room.values.auto}
              </span>
              <span class="muted" data-value={`${room.id}:span`}>
                {room.span}
              </span>
            </header>
            <div class="tiles">
              {room.charts.map((chart) => (
                <Tile room={room} chart={chart} lang={props.lang} />
              ))}
            </div>
            {props.canOperate ? <Controls room={room} lang={props.lang} formToken={props.formToken} /> : null}
          </article>
        ))}
      </main>
    </Shell>,
  );
}

/** The sign-in page: the admin token, sent once, exchanged for a session cookie. */
export function renderLoginPage(props: { lang: Lang; problem?: boolean; signedOut?: boolean }): string {
  const text = DASHBOARD_TEXT[props.lang];
  return renderDocument(
    <Shell lang={props.lang} title={text.login.title}>
      <TopBar lang={props.lang} title={text.brand} otherLangHref={`/dashboard/login?lang=${otherLang(props.lang)}`} />
      <main class="narrow">
        <h1>{text.login.title}</h1>
        {props.problem ? (
          <p class="notice problem" role="alert">
            {text.login.wrong}
          </p>
        ) : null}
        {props.signedOut ? (
          <p class="notice" role="status">
            {text.login.loggedOut}
          </p>
        ) : null}
        <form method="post" action="/dashboard/login">
          <input type="hidden" name="lang" value={props.lang} />
          <label>
            {text.login.token}
            <input type="password" name="token" autocomplete="current-password" required autofocus />
          </label>
          <p class="muted">{text.login.help}</p>
          <button class="primary" type="submit">
            {text.login.submit}
          </button>
        </form>
      </main>
    </Shell>,
  );
}

/** One row of a change to confirm: what it was and what it becomes. */
export interface ChangeRow {
  field: string;
  before: string;
  after: string;
}

/** The confirmation step: every change, before and after; nothing is applied until confirmed. */
export function renderConfirmPage(props: {
  lang: Lang;
  roomName: string;
  roomId: string;
  rows: ChangeRow[];
  patch: string;
  version: string;
  formToken: string;
  problems?: string[];
}): string {
  const text = DASHBOARD_TEXT[props.lang];
  const controls = text.controls;
  const back = `/dashboard?lang=${props.lang}#room-${encodeURIComponent(props.roomId)}`;
  return renderDocument(
    <Shell lang={props.lang} title={controls.confirmTitle}>
      <TopBar lang={props.lang} title={text.title} otherLangHref={`/dashboard?lang=${otherLang(props.lang)}`} />
      <main class="narrow">
        <h1>{props.problems ? text.error.title : controls.confirmTitle}</h1>
        {props.problems ? (
          <ul class="notice problem" role="alert">
            {props.problems.map((problem) => (
              <li>{problem}</li>
            ))}
          </ul>
        ) : props.rows.length === 0 ? (
          <p>{controls.nothing}</p>
        ) : (
          <>
            <p>{controls.confirmIntro(props.roomName)}</p>
            <table class="changes">
              <tbody>
                {props.rows.map((row) => (
                  <tr>
                    <th scope="row">{row.field}</th>
                    <td>{row.before}</td>
                    <td aria-hidden="true">→</td>
                    <td>
                      <strong>{row.after}</strong>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        )}
        <div class="actions">
          {props.rows.length > 0 && !props.problems ? (
            <form method="post" action={`/dashboard/rooms/${encodeURIComponent(props.roomId)}/apply`}>
              <input type="hidden" name="form" value={props.formToken} />
              <input type="hidden" name="lang" value={props.lang} />
              <input type="hidden" name="patch" value={props.patch} />
              <input type="hidden" name="version" value={props.version} />
              <button class="primary" type="submit" id="confirm">
                {controls.confirm}
              </button>
            </form>
          ) : null}
          <a href={back}>{props.rows.length > 0 && !props.problems ? controls.cancel : text.error.back}</a>
        </div>
      </main>
    </Shell>,
  );
}

/** A problem with a dashboard request (not signed in properly, a room that does not exist, a refused change). */
export function renderProblemPage(props: { lang: Lang; message: string }): string {
  const text = DASHBOARD_TEXT[props.lang];
  return renderDocument(
    <Shell lang={props.lang} title={text.error.title}>
      <TopBar lang={props.lang} title={text.title} otherLangHref={`/dashboard?lang=${otherLang(props.lang)}`} />
      <main class="narrow">
        <h1>{text.error.title}</h1>
        <p class="notice problem" role="alert">
          {props.message}
        </p>
        <a href={`/dashboard?lang=${props.lang}`}>{text.error.back}</a>
      </main>
    </Shell>,
  );
}
