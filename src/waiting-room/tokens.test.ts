import { describe, expect, it } from 'vitest';
import { manualClock } from '../platform/clock.js';
import { decodeBase64Url, encodeBase64Url } from '../platform/base64url.js';
import { generateKeyRing, KeyRingError, parseKeyRing } from '../platform/keyring.js';
import { webCryptoMac } from '../platform/mac.js';
import { nodeMac } from '../platform/node-mac.js';
import { createWaitingRoomTokens } from './tokens.js';

const SECRET_A = 'a'.repeat(40);
const SECRET_B = 'b'.repeat(40);

describe.each([
  ['Web Crypto', webCryptoMac],
  ['node:crypto', nodeMac],
] as const)('waiting room tokens (MAC by %s)', (_name, mac) => {
  const clock = manualClock();
  const now = () => Math.floor(clock() / 1000);

  it('round-trips a pass and a ticket for their room only', async () => {
    const tokens = createWaitingRoomTokens(parseKeyRing(`k1:${SECRET_A}`), clock, mac);
    const pass = await tokens.signPass({ room: 'main', visitor: 'v1', expiresAt: now() + 60 });
    expect(await tokens.readPass(pass, 'main')).toMatchObject({ kind: 'pass', visitor: 'v1' });
    expect(await tokens.readPass(pass, 'other')).toBeUndefined();
    expect(await tokens.readTicket(pass, 'main')).toBeUndefined();
    const ticket = await tokens.signTicket({ room: 'main', visitor: 'v2', number: 7, epoch: 'ep', expiresAt: now() + 60 });
    expect(await tokens.readTicket(ticket, 'main')).toMatchObject({ number: 7, epoch: 'ep' });
    expect(await tokens.readPass(ticket, 'main')).toBeUndefined();
  });

  it('rejects expired, tampered, forged and malformed tokens', async () => {
    const ring = parseKeyRing(`k1:${SECRET_A}`);
    const tokens = createWaitingRoomTokens(ring, clock, mac);
    const pass = await tokens.signPass({ room: 'main', visitor: 'v1', expiresAt: now() + 60 });
    const [kid, body, sig] = pass.split('.') as [string, string, string];
    const payload = JSON.parse(new TextDecoder().decode(decodeBase64Url(body)));
    const tamperedBody = encodeBase64Url(new TextEncoder().encode(JSON.stringify({ ...payload, r: 'main', v: 'someone-else' })));
    expect(await tokens.readPass(`${kid}.${tamperedBody}.${sig}`, 'main')).toBeUndefined();
    expect(await tokens.readPass(`${kid}.${body}.${sig.slice(0, -2)}AA`, 'main')).toBeUndefined();
    const forger = createWaitingRoomTokens(parseKeyRing(`k1:${SECRET_B}`), clock, mac);
    expect(await tokens.readPass(await forger.signPass({ room: 'main', visitor: 'x', expiresAt: now() + 60 }), 'main')).toBeUndefined();
    for (const junk of [undefined, '', 'abc', 'a.b.c', `${pass}.x`, 'k1..', '%%%.%%%.%%%']) {
      expect(await tokens.readPass(junk, 'main')).toBeUndefined();
    }
    clock.advance(61_000);
    expect(await tokens.readPass(pass, 'main')).toBeUndefined();
  });

  it('knows tokens it has read before, for their room and kind, until they expire', async () => {
    const tokens = createWaitingRoomTokens(parseKeyRing(`k1:${SECRET_A}`), clock, mac);
    const pass = await tokens.signPass({ room: 'main', visitor: 'v1', expiresAt: now() + 60 });
    const ticket = await tokens.signTicket({ room: 'main', visitor: 'v2', number: 3, epoch: 'ep', expiresAt: now() + 30 });
    expect(tokens.knownPass(pass, 'main')).toBeUndefined();
    expect(tokens.knownTicket(ticket, 'main')).toBeUndefined();
    expect(tokens.knownPass(undefined, 'main')).toBeUndefined();
    await tokens.readPass(pass, 'main');
    await tokens.readTicket(ticket, 'main');
    expect(tokens.knownPass(pass, 'main')).toMatchObject({ kind: 'pass', visitor: 'v1' });
    expect(tokens.knownPass(pass, 'other')).toBeUndefined();
    expect(tokens.knownTicket(pass, 'main')).toBeUndefined();
    expect(tokens.knownTicket(ticket, 'main')).toMatchObject({ kind: 'ticket', number: 3 });
    expect(tokens.knownPass(ticket, 'main')).toBeUndefined();
    clock.advance(31_000);
    expect(tokens.knownTicket(ticket, 'main')).toBeUndefined();
    expect(tokens.knownPass(pass, 'main')).toMatchObject({ visitor: 'v1' });
    clock.advance(30_000);
    expect(tokens.knownPass(pass, 'main')).toBeUndefined();
  });

  it('verifies with every key of the ring and signs with the first', async () => {
    const old = createWaitingRoomTokens(parseKeyRing(`old:${SECRET_A}`), clock, mac);
    const rotated = createWaitingRoomTokens(parseKeyRing(`new:${SECRET_B},old:${SECRET_A}`), clock, mac);
    const oldPass = await old.signPass({ room: 'main', visitor: 'v', expiresAt: now() + 60 });
    expect(await rotated.readPass(oldPass, 'main')).toMatchObject({ visitor: 'v' });
    const newPass = await rotated.signPass({ room: 'main', visitor: 'v', expiresAt: now() + 60 });
    expect(newPass.startsWith('new.')).toBe(true);
    expect(await old.readPass(newPass, 'main')).toBeUndefined();
  });

  it('reads tokens signed by the other MAC adapter (instances may differ)', async () => {
    const ring = parseKeyRing(`k1:${SECRET_A}`);
    const mine = createWaitingRoomTokens(ring, clock, mac);
    const other = createWaitingRoomTokens(ring, clock, mac === nodeMac ? webCryptoMac : nodeMac);
    const pass = await other.signPass({ room: 'main', visitor: 'v9', expiresAt: now() + 60 });
    expect(await mine.readPass(pass, 'main')).toMatchObject({ visitor: 'v9' });
  });
});

describe('key ring', () => {
  it('names every problem of SANH_SECRETS', () => {
    expect(() => parseKeyRing('')).toThrow(KeyRingError);
    try {
      parseKeyRing(`short:abc, :${SECRET_A}, dup:${SECRET_A}, dup:${SECRET_B}`);
      throw new Error('expected a KeyRingError');
    } catch (error) {
      expect(String(error)).toContain('entry 1: secret must be at least 32 characters');
      expect(String(error)).toContain('entry 2: key id must be');
      expect(String(error)).toContain('entry 4: key id "dup" is listed twice');
    }
  });
  it('generates a marked development ring', () => {
    const ring = generateKeyRing();
    expect(ring.generated).toBe(true);
    expect(ring.current.secret.length).toBe(32);
  });
});
