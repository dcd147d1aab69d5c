import { describe, expect, it } from 'vitest';
import { createClosers, openAll } from './closers.js';

describe('closer stack', () => {
  it('closes last opened first, each awaited, once', async () => {
    const closed: string[] = [];
    const closers = createClosers();
    closers.push(() => closed.push('store'));
    closers.push(async () => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      closed.push('listener');
    });
    closers.push(() => closed.push('timer'));
    await Promise.all([closers.close(), closers.close()]);
    await closers.close();
    expect(closed).toEqual(['timer', 'listener', 'store']);
  });

  it('goes on past a close that fails, then throws the first failure', async () => {
    const closed: string[] = [];
    const closers = createClosers();
    closers.push(() => closed.push('first'));
    closers.push(() => {
      throw new Error('second failed');
    });
    closers.push(() => Promise.reject(new Error('third failed')));
    await expect(closers.close()).rejects.toThrow('third failed');
    expect(closed).toEqual(['first']);
  });

  it('openAll closes what was opened when the opening throws, and throws its error, not a closing one', async () => {
    const closed: string[] = [];
    await expect(
      openAll((opened) => {
        opened.push(() => closed.push('redis'));
        opened.push(() => {
          throw new Error('closing failed too');
        });
        throw new Error('port in use');
      }),
    ).rejects.toThrow('port in use');
    expect(closed).toEqual(['redis']);
  });

  it('openAll leaves what was opened open when the opening succeeds', async () => {
    const closers = createClosers();
    const closed: string[] = [];
    expect(
      await openAll(async (opened) => {
        opened.push(() => closed.push('redis'));
        return 'started';
      }, closers),
    ).toBe('started');
    expect(closed).toEqual([]);
    await closers.close();
    expect(closed).toEqual(['redis']);
  });
});
