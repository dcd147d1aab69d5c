import { Hono, type Context } from 'hono';
import type { RoomConfig } from '../../config/schema.js';
import { SanhError } from '../../platform/errors.js';
import { otherLang } from '../../platform/i18n.js';
import { cookieHeader, isHttps, readCookie, requestLang, wantsJson, type SanhEnv } from '../../platform/http.js';
import type { KeyRing } from '../../platform/keyring.js';
import type { JoinChallenge } from '../gate.js';
import type { OnceStore } from './once-store.js';
import { renderChallengePage } from './page.js';
import { createChallengeTokens, solves } from './puzzle.js';

/** The cookie that carries a solved challenge for one room. */
export function proofCookieName(roomId: string): string {
  return `sanh_proof_${roomId}`;
}

/** The join challenge as the gate uses it, plus its `POST /challenge` route (mounted under `/_sanh`). */
export interface ChallengeService extends JoinChallenge {
  routes: Hono<SanhEnv>;
}

/** A same-site path to go back to after the challenge; anything else becomes `/`. */
export function safeReturnPath(value: string | undefined): string {
  if (!value || !value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\') || value.startsWith('/_sanh')) return '/';
  return value.length > 2000 ? '/' : value;
}

function requestPath(c: Context): string {
  const url = new URL(c.req.url);
  return `${url.pathname}${url.search}`;
}

function langUrl(path: string, lang: string): string {
  const url = new URL(path, 'http://x');
  url.searchParams.set('lang', lang);
  return `${url.pathname}${url.search}`;
}

/**
 * The proof-of-work challenge on join, for rooms with `challenge.enabled`. A newcomer gets a
 * puzzle page (status 403: the request was not served, and must not look like success to a
 * bot); the browser solves it in a few seconds and posts the answer, or, without JavaScript,
 * the visitor waits `noScriptWaitSeconds` and presses a button. A correct answer, once (the
 * puzzle id is spent in the OnceStore), earns a proof cookie; the proof buys one join in that
 * room, once (its id is spent too), before it expires. Tokens are signed with a key of their own.
 */
export function createChallengeService(deps: {
  rooms: { byId(id: string): RoomConfig | undefined };
  keyRing: KeyRing;
  once: OnceStore;
  clock: () => number;
}): ChallengeService {
  const tokens = createChallengeTokens(deps.keyRing, deps.clock);

  async function page(c: Context<SanhEnv>, room: RoomConfig, returnTo: string, problem?: 'too-early' | 'failed', remaining?: number): Promise<Response> {
    const settings = room.challenge ?? { difficultyBits: 16, noScriptWaitSeconds: 20, ttlSeconds: 300 };
    const { token } = await tokens.issuePuzzle(room.id, settings.difficultyBits, settings.noScriptWaitSeconds, settings.ttlSeconds, deps.clock());
    return pageFor(c, room, token, returnTo, problem, remaining);
  }

  function pageFor(c: Context<SanhEnv>, room: RoomConfig, token: string, returnTo: string, problem?: 'too-early' | 'failed', remaining?: number): Response {
    const settings = room.challenge ?? { difficultyBits: 16, noScriptWaitSeconds: 20 };
    const headers = { 'cache-control': 'no-store', 'sanh-room': room.id, 'sanh-state': 'challenge' };
    if (wantsJson(c)) {
      const body = { error: { code: 'challenge_required', message: 'Open this address in a browser to pass a short check before joining the line.' }, challengeUrl: returnTo };
      return c.json(body, 403, headers);
    }
    const lang = requestLang(c);
    const html = renderChallengePage({
      lang,
      room,
      token,
      bits: settings.difficultyBits,
      waitSeconds: settings.noScriptWaitSeconds,
      returnTo,
      otherLangUrl: langUrl(returnTo, otherLang(lang)),
      ...(problem ? { problem } : {}),
      ...(remaining !== undefined ? { remainingSeconds: remaining } : {}),
    });
    return c.html(html, 403, headers);
  }

  const routes = new Hono<SanhEnv>();
  routes.post('/challenge', async (c) => {
    const form = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
    const text = (name: string) => (typeof form[name] === 'string' ? (form[name] as string) : undefined);
    const room = deps.rooms.byId(text('room') ?? '');
    if (!room) throw new SanhError('bad_request', 'This check belongs to no room here. Go back and try again.');
    c.set('sanhRoom', room.id);
    const returnTo = safeReturnPath(text('return'));
    const token = text('token');
    const puzzle = await tokens.readPuzzle(token, room.id);
    if (!puzzle || !token) return page(c, room, returnTo, 'failed');
    const now = deps.clock();
    if (text('nojs') === '1') {
      const remaining = puzzle.notBefore - Math.floor(now / 1000);
      if (remaining > 0) return pageFor(c, room, token, returnTo, 'too-early', remaining);
    } else if (!(await solves(token, text('counter') ?? '', puzzle.bits))) {
      return page(c, room, returnTo, 'failed');
    }
    if (!(await deps.once.useOnce(`puzzle:${puzzle.id}`, puzzle.expiresAt * 1000 - now))) return page(c, room, returnTo, 'failed');
    const ttl = room.challenge?.ttlSeconds ?? 300;
    const proof = await tokens.issueProof(room.id, ttl, now);
    c.header('set-cookie', cookieHeader(proofCookieName(room.id), proof, ttl, isHttps(c)));
    c.header('cache-control', 'no-store');
    return c.redirect(returnTo, 303);
  });

  return {
    routes,
    async redeemProof(c, room) {
      const proof = await tokens.readProof(readCookie(c.req.header('cookie'), proofCookieName(room.id)), room.id);
      if (!proof) return { ok: false };
      const used = !(await deps.once.useOnce(`proof:${proof.id}`, proof.expiresAt * 1000 - deps.clock()));
      if (used) return { ok: false };
      return { ok: true, clearCookie: cookieHeader(proofCookieName(room.id), '', 0, isHttps(c)) };
    },
    challengeResponse: (c, room) => page(c, room, safeReturnPath(requestPath(c))),
  };
}
