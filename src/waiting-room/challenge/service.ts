/**
 * The challenge service now lives in `routes.ts`; this module only re-exports it, for
 * `waiting-room/index.ts` until that imports `./challenge/routes.js` (then delete this file).
 */
export { createChallengeService, proofCookieName, safeReturnPath, type ChallengeService } from './routes.js';
