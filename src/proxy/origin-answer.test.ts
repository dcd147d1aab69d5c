import type { Dispatcher } from 'undici';
import { describe, expect, it } from 'vitest';
import { OriginAnswer } from './origin-answer.js';

/** A stand-in for undici's controller that records what the handler asks of it. */
function fakeController() {
  const calls: string[] = [];
  const controller = {
    pause: () => calls.push('pause'),
    resume: () => calls.push('resume'),
    abort: (reason: Error) => calls.push(`abort: ${reason.message}`),
  } as unknown as Dispatcher.DispatchController;
  return { controller, calls };
}

const text = (...parts: string[]) => parts.map((p) => Buffer.from(p));

describe('OriginAnswer', () => {
  it('reads a small answer of known length whole, with the visitor headers', async () => {
    const { controller } = fakeController();
    const answer = new OriginAnswer('GET');
    answer.onRequestStart();
    answer.onResponseStart(controller, 100, {});
    answer.onResponseStart(controller, 200, { 'content-length': '11', 'content-type': 'text/plain', connection: 'keep-alive', 'set-cookie': ['a=1', 'b=2'] });
    for (const chunk of text('hello', '', ' world')) answer.onResponseData(controller, chunk);
    answer.onResponseEnd();
    const response = await answer.response;
    expect(response.status).toBe(200);
    expect(response.headers.get('connection')).toBeNull();
    expect(response.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
    expect(await response.text()).toBe('hello world');
  });

  it('answers HEAD and null-body statuses without a body', async () => {
    for (const [method, status] of [
      ['HEAD', 200],
      ['GET', 204],
      ['GET', 304],
    ] as const) {
      const answer = new OriginAnswer(method);
      answer.onResponseStart(fakeController().controller, status, { 'content-length': '5', etag: '"x"' });
      const response = await answer.response;
      expect(response.status).toBe(status);
      expect(response.body).toBeNull();
      expect(response.headers.get('etag')).toBe('"x"');
    }
  });

  it('streams a large or unsized answer, pausing the origin while the visitor is behind', async () => {
    const { controller, calls } = fakeController();
    const answer = new OriginAnswer('GET');
    answer.onResponseStart(controller, 200, {});
    const response = await answer.response;
    const reader = response.body!.getReader();
    answer.onResponseData(controller, Buffer.from('one'));
    answer.onResponseData(controller, Buffer.alloc(0));
    answer.onResponseData(controller, Buffer.from('two'));
    expect(calls.filter((c) => c === 'pause').length).toBeGreaterThan(0);
    expect(new TextDecoder().decode((await reader.read()).value)).toBe('one');
    expect(calls).toContain('resume');
    expect(new TextDecoder().decode((await reader.read()).value)).toBe('two');
    answer.onResponseEnd();
    expect((await reader.read()).done).toBe(true);
  });

  it('aborts the origin request when the visitor goes away', async () => {
    const { controller, calls } = fakeController();
    const answer = new OriginAnswer('GET');
    answer.onResponseStart(controller, 200, { 'content-length': String(1 << 20) });
    const response = await answer.response;
    await response.body!.cancel(new Error('gone'));
    expect(calls).toContain('abort: gone');
    answer.onResponseData(controller, Buffer.from('late'));
    answer.onResponseError(controller, new Error('aborted'));
  });

  it('rejects when the origin fails before the answer is whole, and errors the stream after', async () => {
    const { controller } = fakeController();
    const early = new OriginAnswer('GET');
    early.onResponseError(controller, new Error('refused'));
    await expect(early.response).rejects.toThrow('refused');

    const midway = new OriginAnswer('GET');
    midway.onResponseStart(controller, 200, { 'content-length': '10' });
    midway.onResponseData(controller, Buffer.from('half'));
    midway.onResponseError(controller, new Error('reset'));
    await expect(midway.response).rejects.toThrow('reset');

    const streamed = new OriginAnswer('GET');
    streamed.onResponseStart(controller, 200, {});
    const reader = (await streamed.response).body!.getReader();
    streamed.onResponseError(controller, new Error('timeout'));
    await expect(reader.read()).rejects.toThrow('timeout');
  });
});
