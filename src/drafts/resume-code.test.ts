import { describe, expect, it } from 'vitest';
import { CODE_ALPHABET, generateResumeCode, parseResumeCode } from './resume-code.js';

describe('resume codes', () => {
  it('are three groups of five unambiguous characters that parse back to themselves', () => {
    for (let i = 0; i < 200; i++) {
      const code = generateResumeCode();
      expect(code.display).toMatch(/^[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}$/);
      expect(parseResumeCode(code.display)).toEqual(code);
    }
  });

  it('forgive case, spaces, dashes and the letters people mistake for digits', () => {
    const code = generateResumeCode();
    const sloppy = ` ${code.display.toLowerCase().replace(/-/g, ' ').replace(/0/g, 'o').replace(/1/g, 'l')} `;
    expect(parseResumeCode(sloppy)).toEqual(code);
  });

  it('catch every single mistyped character and every swap of two different neighbours', () => {
    const code = generateResumeCode();
    const symbols = code.display.replace(/-/g, '');
    for (let at = 0; at < symbols.length; at++) {
      for (const other of CODE_ALPHABET) {
        if (other === symbols[at]) continue;
        expect(parseResumeCode(symbols.slice(0, at) + other + symbols.slice(at + 1))).toBeUndefined();
      }
    }
    let swapsCaught = 0;
    let swaps = 0;
    for (let at = 0; at < symbols.length - 1; at++) {
      if (symbols[at] === symbols[at + 1]) continue;
      swaps += 1;
      const swapped = symbols.slice(0, at) + symbols[at + 1] + symbols[at] + symbols.slice(at + 2);
      if (parseResumeCode(swapped) === undefined) swapsCaught += 1;
    }
    expect(swapsCaught).toBeGreaterThanOrEqual(swaps - 1);
  });

  it('refuse anything of the wrong length or alphabet', () => {
    expect(parseResumeCode('')).toBeUndefined();
    expect(parseResumeCode('ABCDE-FGHJK-MNPQ')).toBeUndefined();
    expect(parseResumeCode('ABCDE-FGHJK-MNPQU')).toBeUndefined();
    expect(parseResumeCode('x'.repeat(100))).toBeUndefined();
  });
});
