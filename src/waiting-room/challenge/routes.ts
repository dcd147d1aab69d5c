import { SANH_COOKIES } from '../../platform/cookie-names.js';
import { Hono, type Context } from 'hono';
import { challengeSchema, type RoomConfig } from '../../config/schema.js';
import type { Clock } from '../../platform/clock.js';
import { errorBody, SanhError } from '../../platform/errors.js';
import { cookieHeader, isHttps, readCookie, requestLang, wantsJson, type SanhEnv } from '../../platform/http.js';
import { otherLang, type Lang } from '../../platform/i18n.js';
import type { KeyRing } from '../../platform/keyring.js';
import type { OnceStore } from './once-store.js';
import { graduatedSettings } from './graduated.js';
import { renderChallengePage, type ChallengeProblem } from './page.js';
import { checkAnswer, createChallengeTokens, createProof, createPuzzle, proofValid, type Answer, type Puzzle, type PuzzleSettings } from './puzzle.js';

/**
 * How many levels below the address's current one a solved proof may be and still buy a join:
 * the citizens of one address solving at the same time push the level up by one while they
 * solve. A proof earned by waiting gets none: waits run side by side (a script asks for many
 * puzzles, waits once and answers them all), work does not.
 */
export const PROOF_LEVEL_SLACK = 1;

/** The join challenge as the gate and the app use it. */
export interface ChallengeService {
  /**
   * True when the visitor's request carries an unused, valid proof for `room` whose level is not
   * below the address's `currentLevel()` (asked only when there is such a proof) by more than
   * `PROOF_LEVEL_SLACK`, or at all for a proof earned by waiting; the proof is then consumed
   * (single use). A proof further below (solved while fewer joined from the address) is left
   * unspent and refused.
   */
  redeemProof(c: Context<SanhEnv>, room: RoomConfig, currentLevel?: () => number | Promise<number>): Promise<{ ok: true; clearCookie: string } | { ok: false }>;
  /**
   * The answer to a visitor who must solve first: status 403, `Sanh-Room`, `Sanh-State:
   * challenge`, `Cache-Control: no-store`; the challenge page, or for JSON clients
   * `{ error: { code: 'challenge_required', message, requestId }, challengeUrl }`.
   */
  challengeResponse(c: Context<SanhEnv>, room: RoomConfig, level?: number): Promise<Response>;
  /**
   * Mount under `/_sanh`. `POST /challenge` (form: `token`, then `counter` or `nojs=1`, and
   * `return`) checks the answer, spends the puzzle, sets the proof cookie and answers 303 to the
   * return path; a wrong, expired, replayed or early answer gets the page (or JSON) again, with a
   * fresh puzzle but for an early one. `GET /challenge?room=…&return=…[&token=…]` shows a puzzle's
   * page (the no-JavaScript refresh, the language switch, `challengeUrl`).
   */
  routes: Hono<SanhEnv>;
}

/** What the challenge service needs. */
export interface ChallengeDeps {
  rooms: { byId(id: string): RoomConfig | undefined };
  keyRing: KeyRing;
  /** Where spent puzzles and proofs are remembered (Redis when several instances serve). */
  once: OnceStore;
  clock: Clock;
  /**
   * How far past its join allowance the request's client address is in `room` this minute
   * (`excessLevel`, counting nothing); a fresh puzzle is graded by it. Absent: level 0.
   */
  joinLevel?: (c: Context<SanhEnv>, room: RoomConfig) => number | Promise<number>;
}

/** The cookie that carries a solved challenge for one room. */
export function proofCookieName(roomId: string): string {
  return SANH_COOKIES.proof(roomId);
}

/**
 * A path on this site to go back to after the challenge, or `/`: it must start with one `/`
 * (not `//` nor `/\`, which browsers read as another host), hold no whitespace, control
 * characters or backslash, not lead back into `/_sanh/`, and be at most 2,000 characters.
 */
export function safeReturnPath(value: string | undefined): string {
  if (!value || value.length > 2_000 || !/^\/(?![/\\])[^\s\\\u0000-\u001f\u007f]*$/.test(value)) return '/';
  return value === '/_sanh' || value.startsWith('/_sanh/') || value.startsWith('/_sanh?') ? '/' : value;
}

/** The address of a challenge page: a fresh puzzle for `room`, or the one in `token`. */
export function challengePageUrl(roomId: string, returnTo: string, options: { token?: string; lang?: Lang } = {}): string {
  const query = new URLSearchParams({ room: roomId, return: returnTo });
  if (options.token) query.set('token', options.token);
  if (options.lang) query.set('lang', options.lang);
  return `/_sanh/challenge?${query}`;
}

const DEFAULT_SETTINGS: PuzzleSettings = challengeSchema.parse({});

const JSON_MESSAGES: Record<ChallengeProblem | 'required' | 'shared', string> = {
  shared:
    'Very many people are joining the line from this network right now. To keep places fair, a short check comes first: open challengeUrl in a browser; it solves the check by itself.',
  required: 'This room asks for a short check before joining the line. Open challengeUrl in a browser; it solves the check by itself.',
  'too-early': 'The wait for the check without JavaScript is not over yet. Press Continue again in a few seconds.',
  expired: 'The check expired. Open challengeUrl for a new one.',
  used: 'The check was already used. Open challengeUrl for a new one.',
  wrong: 'The answer to the check was not right. Open challengeUrl for a new one.',
};

function requestPath(c: Context): string {
  const url = new URL(c.req.url);
  return `${url.pathname}${url.search}`;
}

function formText(form: Record<string, unknown>, name: string): string | undefined {
  const value = form[name];
  return typeof value === 'string' ? value : undefined;
}

/**
 * The proof-of-work challenge on join, for rooms with `challenge.enabled`. A newcomer gets a
 * puzzle page (status 403: the request asked for was not served and will not be until the
 * visitor proves something; it must not look like success to a bot, a cache or a monitor, and
 * 401 would call for an HTTP authentication scheme, 429 for a wait). The browser solves it in
 * about a second and posts the answer; without JavaScript the visitor waits
 * `noScriptWaitSeconds` and presses Continue. A right answer, once (the puzzle id is spent in
 * the OnceStore), earns a proof cookie for that room only; the proof buys one join, once (its
 * id is spent too), before it expires (`ttlSeconds`). Tokens are signed with a key of their own.
 */
export function createChallengeService(deps: ChallengeDeps): ChallengeService {
  const tokens = createChallengeTokens(deps.keyRing);
  const settingsOf = (room: RoomConfig): PuzzleSettings => room.challenge ?? DEFAULT_SETTINGS;

  /** The 403 answer: JSON, or the page for `shown` (a new puzzle when not given). */
  async function respond(
    c: Context<SanhEnv>,
    room: RoomConfig,
    returnTo: string,
    problem?: ChallengeProblem,
    shown?: { puzzle: Puzzle; token: string },
    knownLevel?: number,
  ): Promise<Response> {
    const headers: Record<string, string> = { 'cache-control': 'no-store', 'sanh-room': room.id, 'sanh-state': 'challenge' };
    const level = shown ? 0 : (knownLevel ?? (await deps.joinLevel?.(c, room)) ?? 0);
    const now = deps.clock();
    const puzzle = shown?.puzzle ?? createPuzzle(room.id, graduatedSettings(settingsOf(room), level), now, level);
    const sharedAddress = (shown?.puzzle.level ?? level) > 0;
    const token = shown?.token ?? (await tokens.signPuzzle(puzzle));
    if (wantsJson(c)) {
      const error = new SanhError('challenge_required', JSON_MESSAGES[problem ?? (sharedAddress ? 'shared' : 'required')]);
      return c.json({ ...errorBody(error, c.get('requestId')), challengeUrl: challengePageUrl(room.id, returnTo, { token }) }, 403, headers);
    }
    const lang = requestLang(c);
    const html = renderChallengePage({
      lang,
      room,
      token,
      difficultyBits: puzzle.difficultyBits,
      waitSeconds: Math.max(0, Math.ceil((puzzle.notBefore - now) / 1000)),
      returnTo,
      readyUrl: challengePageUrl(room.id, returnTo, { token, lang }),
      otherLangUrl: challengePageUrl(room.id, returnTo, { token, lang: otherLang(lang) }),
      ...(problem ? { problem } : {}),
      reason: sharedAddress ? 'shared-address' : 'room',
    });
    return c.html(html, 403, { ...headers, 'content-language': lang });
  }

  function roomNamed(c: Context<SanhEnv>, roomId: string | undefined): RoomConfig {
    const room = roomId === undefined ? undefined : deps.rooms.byId(roomId);
    if (!room) throw new SanhError('bad_request', 'This check belongs to no waiting room here. Go back to the page you wanted and try again.');
    c.set('sanhRoom', room.id);
    return room;
  }

  const routes = new Hono<SanhEnv>();

  routes.get('/challenge', async (c) => {
    const room = roomNamed(c, c.req.query('room'));
    const returnTo = safeReturnPath(c.req.query('return'));
    const token = c.req.query('token');
    const puzzle = await tokens.readPuzzle(token);
    if (!puzzle || !token || puzzle.room !== room.id) return respond(c, room, returnTo);
    if (deps.clock() >= puzzle.expiresAt) return respond(c, room, returnTo, 'expired');
    return respond(c, room, returnTo, undefined, { puzzle, token });
  });

  routes.post('/challenge', async (c) => {
    const form: Record<string, unknown> = await c.req.parseBody().catch(() => ({}));
    const token = formText(form, 'token');
    const puzzle = await tokens.readPuzzle(token);
    const room = roomNamed(c, puzzle?.room ?? formText(form, 'room'));
    const returnTo = safeReturnPath(formText(form, 'return'));
    if (!puzzle || !token) return respond(c, room, returnTo, 'wrong');
    const now = deps.clock();
    const answer: Answer = formText(form, 'nojs') === '1' ? { waited: true } : { counter: formText(form, 'counter') ?? '' };
    const verdict = await checkAnswer(puzzle, token, answer, now);
    if (!verdict.ok)
      return verdict.reason === 'too-early' ? respond(c, room, returnTo, 'too-early', { puzzle, token }) : respond(c, room, returnTo, verdict.reason);
    if (!(await deps.once.useOnce(`puzzle:${puzzle.id}`, puzzle.expiresAt - now))) return respond(c, room, returnTo, 'used');
    const { ttlSeconds } = settingsOf(room);
    const proof = await tokens.signProof(createProof(room.id, ttlSeconds, now, puzzle.level, 'waited' in answer));
    c.header('set-cookie', cookieHeader(proofCookieName(room.id), proof, ttlSeconds, isHttps(c)));
    c.header('cache-control', 'no-store');
    c.header('sanh-room', room.id);
    return c.redirect(returnTo, 303);
  });

  return {
    routes,
    async redeemProof(c, room, currentLevel) {
      const proof = await tokens.readProof(readCookie(c.req.header('cookie'), proofCookieName(room.id)));
      const now = deps.clock();
      if (!proof || !proofValid(proof, room.id, now)) return { ok: false };
      if (currentLevel && proof.level < (await currentLevel()) - (proof.waited ? 0 : PROOF_LEVEL_SLACK)) return { ok: false };
      if (!(await deps.once.useOnce(`proof:${proof.id}`, proof.expiresAt - now))) return { ok: false };
      return { ok: true, clearCookie: cookieHeader(proofCookieName(room.id), '', 0, isHttps(c)) };
    },
    challengeResponse: (c, room, level = 0) => respond(c, room, safeReturnPath(requestPath(c)), undefined, undefined, level),
  };
}
