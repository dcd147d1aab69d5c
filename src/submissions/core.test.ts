import { describe, expect, it } from 'vitest';
import { submissionsSchema, submissionRouteSchema } from '../config/submissions.js';
import {
  backoffMs,
  compileRoutes,
  deliveryRate,
  draftIdOfBody,
  judgeAttempt,
  matchRoute,
  parseReceiptId,
  parseRetryAfter,
  receiptDay,
  settle,
  submissionKey,
} from './core.js';

const delivery = submissionsSchema.parse({}).delivery;
const NOW = Date.UTC(2026, 11, 1, 10, 0, 0);

describe('route patterns', () => {
  const routes = compileRoutes(
    ['/apply/submit', '/procedures/:id/submit', '/forms/*']
      .map((path) => submissionRouteSchema.parse({ path }))
      .concat([submissionRouteSchema.parse({ path: '/apply/submit', method: 'PUT' })]),
  );
  it.each([
    ['POST', '/apply/submit', '/apply/submit'],
    ['PUT', '/apply/submit', '/apply/submit'],
    ['POST', '/procedures/1.001234/submit', '/procedures/:id/submit'],
    ['POST', '/forms/a/b/c', '/forms/*'],
    ['POST', '/forms/a', '/forms/*'],
  ])('%s %s matches %s', (method, path, pattern) => {
    expect(matchRoute(routes, method, path)?.path).toBe(pattern);
  });
  it.each([
    ['GET', '/apply/submit'],
    ['POST', '/apply/submit/x'],
    ['POST', '/apply'],
    ['POST', '/procedures//submit'],
    ['POST', '/forms'],
    ['PATCH', '/apply/submit'],
  ])('%s %s matches nothing', (method, path) => {
    expect(matchRoute(routes, method, path)).toBeUndefined();
  });
});

describe('what an attempt means', () => {
  it('delivers 2xx and 3xx, retries what may clear, and takes other 4xx as final', () => {
    expect(judgeAttempt({ kind: 'answered', status: 201 }, NOW)).toEqual({ kind: 'delivered' });
    expect(judgeAttempt({ kind: 'answered', status: 303 }, NOW)).toEqual({ kind: 'delivered' });
    for (const status of [408, 409, 429, 500, 502, 503, 504])
      expect(judgeAttempt({ kind: 'answered', status }, NOW)).toEqual({ kind: 'retry', problem: `status ${status}` });
    for (const status of [400, 401, 403, 404, 413, 422])
      expect(judgeAttempt({ kind: 'answered', status }, NOW)).toEqual({ kind: 'rejected', problem: `status ${status}` });
    expect(judgeAttempt({ kind: 'unreachable' }, NOW)).toEqual({ kind: 'retry', problem: 'unreachable' });
    expect(judgeAttempt({ kind: 'timeout' }, NOW)).toEqual({ kind: 'retry', problem: 'timeout' });
  });

  it('honours Retry-After in seconds or as a date, capped at an hour', () => {
    expect(judgeAttempt({ kind: 'answered', status: 503, retryAfter: '120' }, NOW)).toEqual({ kind: 'retry', problem: 'status 503', retryAfterMs: 120_000 });
    expect(parseRetryAfter(new Date(NOW + 30_000).toUTCString(), NOW)).toBe(30_000);
    expect(parseRetryAfter(new Date(NOW - 30_000).toUTCString(), NOW)).toBe(0);
    expect(parseRetryAfter('999999', NOW)).toBe(3_600_000);
    expect(parseRetryAfter('soon', NOW)).toBeUndefined();
    expect(parseRetryAfter(undefined, NOW)).toBeUndefined();
  });
});

describe('back-off and settlement', () => {
  it('doubles from initialBackoff up to maxBackoff, with half of it random', () => {
    expect(backoffMs(1, delivery, 0)).toBe(1_000);
    expect(backoffMs(1, delivery, 1)).toBe(2_000);
    expect(backoffMs(3, delivery, 1)).toBe(8_000);
    expect(backoffMs(30, delivery, 1)).toBe(300_000);
    expect(backoffMs(30, delivery, 0)).toBe(150_000);
  });

  const receipt = (attempts: number, deadlineAt = NOW + 86_400_000) => ({ attempts, deadlineAt });
  const busy = { kind: 'answered', status: 503 } as const;

  it("retries after the back-off or the origin's Retry-After, whichever is longer, and pauses the room for the latter", () => {
    expect(settle(receipt(1), judgeAttempt(busy, NOW), busy, delivery, NOW, 1)).toEqual({ kind: 'retry', delayMs: 2_000, problem: 'status 503' });
    const slow = { kind: 'answered', status: 429, retryAfter: '60' } as const;
    expect(settle(receipt(1), judgeAttempt(slow, NOW), slow, delivery, NOW, 1)).toEqual({
      kind: 'retry',
      delayMs: 60_000,
      problem: 'status 429',
      pauseRoomMs: 60_000,
    });
  });

  it('fails for good after maxAttempts or past the deadline, and at once when rejected', () => {
    expect(settle(receipt(delivery.maxAttempts), judgeAttempt(busy, NOW), busy, delivery, NOW, 0)).toEqual({
      kind: 'failed',
      reason: 'attempts',
      problem: 'status 503',
      status: 503,
    });
    expect(settle(receipt(1, NOW + 500), judgeAttempt(busy, NOW), busy, delivery, NOW, 0)).toEqual({
      kind: 'failed',
      reason: 'deadline',
      problem: 'status 503',
      status: 503,
    });
    const bad = { kind: 'answered', status: 400 } as const;
    expect(settle(receipt(1), judgeAttempt(bad, NOW), bad, delivery, NOW, 0)).toEqual({
      kind: 'failed',
      reason: 'rejected',
      problem: 'status 400',
      status: 400,
    });
    const ok = { kind: 'answered', status: 200 } as const;
    expect(settle(receipt(5), judgeAttempt(ok, NOW), ok, delivery, NOW, 0, 'HS-1')).toEqual({ kind: 'delivered', status: 200, applicationNumber: 'HS-1' });
  });

  it("delivers at the room's admitted rate unless the room sets its own", () => {
    expect(deliveryRate({ admitPerMinute: 600 })).toEqual({ perSecond: 10, burst: 30 });
    expect(deliveryRate({ admitPerMinute: 600, submissions: { deliverPerMinute: 60, deliverBurst: 1 } })).toEqual({ perSecond: 1, burst: 1 });
  });
});

describe('submission keys', () => {
  it('take the Idempotency-Key (sf-string quotes optional), else the draft id, else the body', () => {
    expect(submissionKey('abc-123', 'd1', 'fp')).toEqual({ kind: 'key', key: 'h:abc-123', source: 'header' });
    expect(submissionKey('"abc-123"', undefined, 'fp')).toEqual({ kind: 'key', key: 'h:abc-123', source: 'header' });
    expect(submissionKey(undefined, 'd1', 'fp')).toEqual({ kind: 'key', key: 'd:d1', source: 'draft' });
    expect(submissionKey(undefined, undefined, 'fp')).toEqual({ kind: 'key', key: 'b:fp', source: 'body' });
    for (const bad of ['', '""', 'x'.repeat(256), 'tab\there', 'đ']) expect(submissionKey(bad, undefined, 'fp')).toEqual({ kind: 'invalid' });
  });

  it('find the draft id in url-encoded and JSON bodies only', () => {
    expect(draftIdOfBody('application/x-www-form-urlencoded; charset=utf-8', 'a=1&sanh_draft=Ab_9-z')).toBe('Ab_9-z');
    expect(draftIdOfBody('application/json', '{"sanh_draft":"d42"}')).toBe('d42');
    expect(draftIdOfBody('application/json', '{"sanh_draft":"../x"}')).toBeUndefined();
    expect(draftIdOfBody('application/json', 'not json')).toBeUndefined();
    expect(draftIdOfBody('multipart/form-data; boundary=x', 'sanh_draft=d1')).toBeUndefined();
    expect(draftIdOfBody(undefined, 'sanh_draft=d1')).toBeUndefined();
  });
});

describe('receipt ids and numbers', () => {
  it('parse only <room>.<22 characters>', () => {
    expect(parseReceiptId('main.AAAAAAAAAAAAAAAAAAAAAA')).toEqual({ room: 'main', token: 'AAAAAAAAAAAAAAAAAAAAAA' });
    expect(parseReceiptId('main.short')).toBeUndefined();
    expect(parseReceiptId('Main.AAAAAAAAAAAAAAAAAAAAAA')).toBeUndefined();
    expect(parseReceiptId('../x.AAAAAAAAAAAAAAAAAAAAAA')).toBeUndefined();
  });

  it('count days in Vietnam time', () => {
    expect(receiptDay(Date.UTC(2026, 11, 1, 16, 59))).toBe('261201');
    expect(receiptDay(Date.UTC(2026, 11, 1, 17, 0))).toBe('261202');
  });
});
