import { transformSync } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../config/load.js';
import { renderChallengePage, SHA256_ES5, type ChallengePageProps } from './page.js';

const room = parseConfig({ rooms: [{ id: 'main', match: ['/'], maxActive: 1, admitPerMinute: 1, challenge: { enabled: true } }] }).rooms[0]!;
const TOKEN = `k1.${'e'.repeat(150)}.${'s'.repeat(43)}`;

function props(overrides: Partial<ChallengePageProps> = {}): ChallengePageProps {
  return {
    lang: 'vi',
    room,
    token: TOKEN,
    difficultyBits: 16,
    waitSeconds: 20,
    returnTo: '/apply?x=1&y=2',
    readyUrl: '/_sanh/challenge?room=main&token=t&lang=vi',
    otherLangUrl: '/_sanh/challenge?room=main&lang=en',
    ...overrides,
  };
}

function scriptsOf(html: string): string[] {
  return [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((match) => match[1] ?? '');
}

describe('challenge page', () => {
  it('hashes like Web Crypto in its ES5 SHA-256, whatever the length of the prefix', async () => {
    const sanhSha = new Function(`${SHA256_ES5};return sanhSha;`)() as (prefix: string) => (suffix: string) => number[];
    const hex = (words: number[]) => words.map((word) => (word >>> 0).toString(16).padStart(8, '0')).join('');
    for (let length = 0; length <= 200; length += 7) {
      const prefix = `${TOKEN}:`.slice(0, length);
      const hash = sanhSha(prefix);
      for (const suffix of ['', '0', '65535', '123456789012345']) {
        const expected = Buffer.from(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(prefix + suffix))).toString('hex');
        expect(hex(hash(suffix))).toBe(expected);
      }
    }
  });

  it('carries its solver as plain ES5', () => {
    const [solver] = scriptsOf(renderChallengePage(props()));
    expect(solver).toBeDefined();
    expect(() => transformSync(solver ?? '', { target: 'es5', loader: 'js' })).not.toThrow();
    expect(solver).not.toMatch(/=>|`|\blet\b|\bconst\b/);
  });

  it('stays small, with a live status, a labelled progress bar and one form for both paths', () => {
    for (const lang of ['vi', 'en'] as const) {
      const html = renderChallengePage(props({ lang, problem: 'too-early', waitSeconds: 7 }));
      expect(Buffer.byteLength(html)).toBeLessThan(20 * 1024);
      expect(html).toContain('role="status" aria-live="polite"');
      expect(html).toMatch(/<progress[^>]+aria-label="[^"]+"/);
      expect(html.match(/<form /g)).toHaveLength(1);
      expect(html).toContain('name="nojs" value="1"');
      expect(html).toContain(`action="/_sanh/challenge?lang=${lang}"`);
      expect(html).toContain(lang === 'vi' ? 'đợi thêm 7 giây' : 'wait 7 seconds more');
    }
  });

  it('without JavaScript, says how long to wait and refreshes to the ready page then', () => {
    const waiting = renderChallengePage(props({ waitSeconds: 20 }));
    expect(waiting).toContain('hãy đợi 20 giây rồi bấm Tiếp tục');
    expect(waiting).toMatch(/<noscript><meta http-equiv="refresh" content="20;url=\/_sanh\/challenge\?room=main&amp;token=t&amp;lang=vi"\/?><\/noscript>/);
    const ready = renderChallengePage(props({ lang: 'en', waitSeconds: 0 }));
    expect(ready).toContain('You can continue now');
    expect(ready).not.toContain('http-equiv="refresh"');
  });

  it('escapes what it shows and what its script reads', () => {
    const html = renderChallengePage(props({ returnTo: '/a?q="><script>alert(1)</script>', token: '</script><script>alert(2)</script>' }));
    expect(html).not.toContain('<script>alert');
    expect(scriptsOf(html)).toHaveLength(1);
  });
});
