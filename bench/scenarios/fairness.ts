/**
 * `fairness`: many citizens behind one shared address (carrier-grade NAT, a community office), and
 * a script joining as fast as it can from one address. Every request here comes from loopback, so
 * from one address, and the room keeps its real per-address join allowance (`joinPerMinute`).
 *
 * Citizens arrive evenly over the window, two and a half times the allowance; each does what the
 * waiting page and the challenge page do in a browser (the puzzle solved here with node:crypto, as
 * fast as a desktop browser; a cheap phone takes several times longer). The script then runs
 * against a fresh instance for the same window, solving every puzzle it is given, and a second
 * script that fetches puzzles and answers them the no-JavaScript way (waiting) for the window.
 */
import { createHash } from 'node:crypto';
import { CORES, startNodeServer } from '../lib/processes.js';
import { figure, type Figure, type FigureTarget, type Scenario } from '../lib/scenario.js';
import { quantile, round } from '../lib/stats.js';
import { CookieJar, PeopleClient, sleep, type Answer } from '../lib/visitors.js';

interface Setup {
  windowSeconds: number;
  citizens: number;
  allowance: number;
  difficultyBits: number;
  noScriptWaitSeconds: number;
}

const FULL: Setup = { windowSeconds: 60, citizens: 300, allowance: 120, difficultyBits: 16, noScriptWaitSeconds: 20 };
const QUICK: Setup = { windowSeconds: 6, citizens: 100, allowance: 40, difficultyBits: 12, noScriptWaitSeconds: 1 };

/** Leading zero bits of a digest. */
function zeroBits(digest: Buffer): number {
  let bits = 0;
  for (const byte of digest) {
    if (byte !== 0) return bits + Math.clz32(byte) - 24;
    bits += 8;
  }
  return bits;
}

/** Solves a puzzle the way the challenge page's script does; answers the counter and the hashes it took. */
function solve(token: string, bits: number): { counter: string; hashes: number } {
  for (let counter = 0; ; counter++) {
    if (zeroBits(createHash('sha256').update(`${token}:${counter}`).digest()) >= bits) return { counter: String(counter), hashes: counter + 1 };
  }
}

function puzzleOf(answer: Answer): { token: string; bits: number; waitSeconds: number } | undefined {
  if (answer.status !== 403 || answer.headers['sanh-state'] !== 'challenge') return undefined;
  const token = /name="token" value="([^"]+)"/.exec(answer.body)?.[1];
  const data = /<script type="application\/json" id="sanh-challenge">([^<]+)<\/script>/.exec(answer.body)?.[1];
  if (!token || !data) return undefined;
  const parsed = JSON.parse(data.replace(/\\u003c/g, '<')) as { bits: number; wait: number };
  return { token, bits: parsed.bits, waitSeconds: parsed.wait };
}

const placed = (answer: Answer) => answer.headers['sanh-state'] === 'queued' || answer.headers['sanh-state'] === 'admitted';

interface CitizenOutcome {
  arrivedAt: number;
  placedAt?: number;
  refused429: boolean;
  solvedBits?: number;
  solveMs?: number;
}

async function startSanh(setup: Setup) {
  const room = {
    id: 'main',
    match: ['/'],
    maxActive: 10,
    admitPerMinute: 30,
    clientLimits: { joinPerMinute: setup.allowance, statusPerMinute: 100_000 },
    challenge: { enabled: false, difficultyBits: setup.difficultyBits, noScriptWaitSeconds: setup.noScriptWaitSeconds, ttlSeconds: 300 },
  };
  const origin = await startNodeServer('bench/servers/fast-origin.ts', {}, CORES.support);
  const sanh = await startNodeServer('bench/servers/sanh.ts', { SANH_CONFIG_JSON: JSON.stringify({ rooms: [room] }), ORIGIN_URL: origin.url });
  return { sanh, stop: async () => Promise.all([sanh.stop(), origin.stop()]) };
}

/** One citizen: open the form; past the allowance, the check (solved at once), then the form again. */
async function citizen(client: PeopleClient, base: string, outcome: CitizenOutcome): Promise<void> {
  const jar = new CookieJar();
  let answer = await client.send(jar, 'GET', `${base}/apply`);
  const puzzle = puzzleOf(answer);
  if (puzzle) {
    const started = performance.now();
    const { counter } = solve(puzzle.token, puzzle.bits);
    outcome.solvedBits = puzzle.bits;
    outcome.solveMs = performance.now() - started;
    await client.send(jar, 'POST', `${base}/_sanh/challenge`, { form: { token: puzzle.token, counter, return: '/apply' } });
    answer = await client.send(jar, 'GET', `${base}/apply`);
  }
  if (answer.status === 429) outcome.refused429 = true;
  if (placed(answer)) outcome.placedAt = performance.now();
}

/** Pairs seated in the opposite order of their arrival, further apart than `spreadMs`. */
function inversionsBeyond(outcomes: CitizenOutcome[], spreadMs: number): number {
  const seated = outcomes.filter((o) => o.placedAt !== undefined);
  let inversions = 0;
  for (let i = 0; i < seated.length; i++) {
    for (let j = i + 1; j < seated.length; j++) {
      const [a, b] = [seated[i] as CitizenOutcome, seated[j] as CitizenOutcome];
      if (b.arrivedAt - a.arrivedAt > spreadMs && (b.placedAt as number) < (a.placedAt as number)) inversions++;
    }
  }
  return inversions;
}

/** The most no-JavaScript joins past the allowance one address can get in the window: half an allowance per level whose wait fits in it. */
function noScriptBound(setup: Setup): number {
  const levels = Math.max(0, Math.floor(Math.log2(setup.windowSeconds / Math.max(1, setup.noScriptWaitSeconds))));
  return levels * Math.ceil(setup.allowance / 2);
}

export const fairnessScenario: Scenario = {
  name: 'fairness',
  title: 'Citizens behind one shared address, and a script joining as fast as it can',
  async run(context) {
    const setup = context.quick ? QUICK : FULL;
    const figures: Record<string, Figure> = {
      fairness_allowance_per_minute: figure(setup.allowance, 'joins/min'),
      fairness_window_s: figure(setup.windowSeconds, 's'),
    };

    // Citizens, evenly over the window.
    {
      const { sanh, stop } = await startSanh(setup);
      const client = new PeopleClient(256);
      const outcomes: CitizenOutcome[] = [];
      const running: Promise<void>[] = [];
      const t0 = performance.now();
      const gapMs = (setup.windowSeconds * 1000) / setup.citizens;
      context.progress(`${setup.citizens} citizens from one address over ${setup.windowSeconds} s (allowance ${setup.allowance} a minute)`);
      for (let i = 0; i < setup.citizens; i++) {
        await sleep(Math.max(0, t0 + i * gapMs - performance.now()));
        const outcome: CitizenOutcome = { arrivedAt: performance.now(), refused429: false };
        outcomes.push(outcome);
        running.push(citizen(client, sanh.url, outcome));
      }
      await Promise.all(running);
      await client.close();
      await stop();
      const seated = outcomes.filter((o) => o.placedAt !== undefined);
      const solveMs = outcomes.flatMap((o) => (o.solveMs === undefined ? [] : [o.solveMs]));
      const delays = (challenged: boolean) => seated.filter((o) => (o.solveMs !== undefined) === challenged).map((o) => (o.placedAt as number) - o.arrivedAt);
      const spreadMs = Math.max(0, ...delays(true)) - (quantile(delays(false), 0.5) || 0);
      Object.assign(figures, {
        fairness_citizens: figure(setup.citizens, 'citizens'),
        fairness_citizens_placed_share: figure(round(seated.length / setup.citizens), 'ratio'),
        fairness_citizens_refused_429: figure(outcomes.filter((o) => o.refused429).length, 'citizens'),
        fairness_citizens_challenged: figure(solveMs.length, 'citizens'),
        fairness_citizen_max_bits: figure(Math.max(0, ...outcomes.map((o) => o.solvedBits ?? 0)), 'bits'),
        fairness_citizen_solve_p95_ms: figure(round(quantile(solveMs, 0.95)), 'ms'),
        fairness_challenge_spread_ms: figure(Math.round(spreadMs), 'ms'),
        fairness_order_inversions_beyond_spread: figure(inversionsBeyond(outcomes, spreadMs), 'pairs'),
      });
      context.progress(`citizens placed ${seated.length}/${setup.citizens}, challenged ${solveMs.length}, solve p95 ${round(quantile(solveMs, 0.95))} ms`);
    }

    // A script solving every puzzle, as fast as one core can, for the window.
    {
      const { sanh, stop } = await startSanh(setup);
      const client = new PeopleClient(8);
      const end = performance.now() + setup.windowSeconds * 1000;
      let joins = 0;
      let solved = 0;
      let hashes = 0;
      let hashingMs = 0;
      let maxBits = 0;
      while (performance.now() < end) {
        const jar = new CookieJar();
        let answer = await client.send(jar, 'GET', `${sanh.url}/apply`);
        const puzzle = puzzleOf(answer);
        if (puzzle) {
          const started = performance.now();
          const { counter, hashes: spent } = solve(puzzle.token, puzzle.bits);
          hashingMs += performance.now() - started;
          hashes += spent;
          maxBits = Math.max(maxBits, puzzle.bits);
          if (performance.now() >= end) break;
          await client.send(jar, 'POST', `${sanh.url}/_sanh/challenge`, { form: { token: puzzle.token, counter, return: '/apply' } });
          answer = await client.send(jar, 'GET', `${sanh.url}/apply`);
          if (placed(answer)) solved++;
        }
        if (placed(answer)) joins++;
      }
      await client.close();
      await stop();
      Object.assign(figures, {
        fairness_bot_joins: figure(joins, 'joins'),
        fairness_bot_joins_beyond_allowance: figure(joins - Math.min(joins, setup.allowance), 'joins'),
        fairness_bot_solved: figure(solved, 'puzzles'),
        fairness_bot_max_bits: figure(maxBits, 'bits'),
        fairness_bot_hashes_per_second: figure(Math.round(hashes / Math.max(0.001, hashingMs / 1000)), 'hashes/s'),
        fairness_bot_joins_vs_allowance_ratio: figure(round(joins / setup.allowance), 'ratio'),
      });
      context.progress(`solving script: ${joins} joins (${solved} through puzzles up to ${maxBits} bits) in ${setup.windowSeconds} s`);
    }

    // A script taking the no-JavaScript way: every puzzle it can get, each answered once its wait is over.
    {
      const { sanh, stop } = await startSanh(setup);
      const client = new PeopleClient(64);
      const end = performance.now() + setup.windowSeconds * 1000;
      const waiting: Promise<boolean>[] = [];
      let direct = 0;
      for (let i = 0; i < setup.allowance * 4; i++) {
        const jar = new CookieJar();
        const answer = await client.send(jar, 'GET', `${sanh.url}/apply`);
        const puzzle = puzzleOf(answer);
        if (!puzzle) {
          if (placed(answer)) direct++;
          continue;
        }
        waiting.push(
          (async () => {
            const due = performance.now() + puzzle.waitSeconds * 1000;
            if (due > end) return false;
            await sleep(due - performance.now() + 50);
            await client.send(jar, 'POST', `${sanh.url}/_sanh/challenge`, { form: { token: puzzle.token, nojs: '1', return: '/apply' } });
            return placed(await client.send(jar, 'GET', `${sanh.url}/apply`));
          })(),
        );
      }
      const waited = (await Promise.all(waiting)).filter(Boolean).length;
      await client.close();
      await stop();
      Object.assign(figures, {
        fairness_nojs_bot_puzzles_asked: figure(waiting.length, 'puzzles'),
        fairness_nojs_bot_joins: figure(direct + waited, 'joins'),
        fairness_nojs_bot_joins_beyond_allowance: figure(waited, 'joins'),
      });
      context.progress(`no-JavaScript script: ${direct} joins within the allowance, ${waited} more by waiting (of ${waiting.length} puzzles asked)`);
    }

    const targets: Record<string, FigureTarget> = {
      fairness_citizens_placed_share: { op: '>=', value: 0.95, invariant: true },
      fairness_citizens_refused_429: { op: '<=', value: 0, invariant: true },
      fairness_order_inversions_beyond_spread: { op: '<=', value: 0, invariant: true },
      fairness_nojs_bot_joins_beyond_allowance: { op: '<=', value: noScriptBound(setup), invariant: true },
    };
    return {
      figures,
      targets,
      notes: [
        `Every request comes from one address (loopback). Citizens: ${setup.citizens} over ${setup.windowSeconds} s against an allowance of ${setup.allowance} joins a minute; the first ${setup.allowance} join directly, the others solve the graded check (one more bit, twice the work, per half allowance past it) and then join.`,
        "Order: the challenge's spread is how much longer the slowest challenged citizen took from arrival to a place than the median citizen who joined directly (here the solves of concurrent citizens share one core, so it is wider than in browsers); pairs seated in the opposite order of their arrival although they arrived further apart than the spread are counted; the target is none.",
        'The solving script is bounded by its CPU: each half allowance more doubles the work, so its joins beyond the allowance grow with the log of its hashing power (hashes/s given). The no-JavaScript script is bounded by time: each level doubles the wait.',
        'Before this issue, past the allowance every join got 429 with no place: of these citizens only the allowance would have been seated.',
      ],
    };
  },
};
