import { CachedValue } from '../../services/core/shared/cached-value.js';

/** A source whose next answers a test sets, counting its reads. */
function source<T>() {
  const answers: Array<{ value: T } | { error: Error }> = [];
  let reads = 0;
  return {
    answers,
    reads: () => reads,
    read: async (): Promise<T> => {
      reads += 1;
      const next = answers.shift();
      if (!next) throw new Error('no answer set');
      if ('error' in next) throw next.error;
      return next.value;
    },
  };
}

describe('CachedValue', () => {
  test('reuses a read until it is maxAge old, then reads again', async () => {
    let clock = 1000;
    const s = source<string>();
    s.answers.push({ value: 'one' }, { value: 'two' });
    const cached = new CachedValue({ read: s.read, maxAgeMs: 100, now: () => clock });
    expect(await cached.get()).toBe('one');
    clock += 99;
    expect(await cached.get()).toBe('one');
    expect(s.reads()).toBe(1);
    clock += 1;
    expect(await cached.get()).toBe('two');
    expect(s.reads()).toBe(2);
  });

  test('concurrent callers share one read', async () => {
    let release: (value: string) => void = () => {};
    let reads = 0;
    const cached = new CachedValue({
      read: () => {
        reads += 1;
        return new Promise<string>((resolve) => {
          release = resolve;
        });
      },
      maxAgeMs: 100,
    });
    const both = Promise.all([cached.get(), cached.get(), cached.get()]);
    release('shared');
    expect(await both).toEqual(['shared', 'shared', 'shared']);
    expect(reads).toBe(1);
  });

  test('a failed read keeps the last good value, reports it, and keeps it for another period', async () => {
    let clock = 0;
    const s = source<string>();
    s.answers.push({ value: 'good' }, { error: new Error('throttled') }, { value: 'new' });
    const failures: Array<[string, string]> = [];
    const cached = new CachedValue({
      read: s.read,
      maxAgeMs: 10,
      now: () => clock,
      onReadFailed: (error, served) => failures.push([error.message, served]),
    });
    expect(await cached.get()).toBe('good');
    clock = 10;
    expect(await cached.get()).toBe('good');
    expect(failures).toEqual([['throttled', 'good']]);
    clock = 19;
    expect(await cached.get()).toBe('good');
    expect(s.reads()).toBe(2);
    clock = 20;
    expect(await cached.get()).toBe('new');
  });

  test('without a good value the failure is thrown, and the next caller reads again', async () => {
    const s = source<string>();
    s.answers.push({ error: new Error('denied') }, { value: 'fixed' });
    const cached = new CachedValue({ read: s.read, maxAgeMs: 1000, now: () => 0 });
    await expect(cached.get()).rejects.toThrow('denied');
    expect(await cached.get()).toBe('fixed');
    expect(s.reads()).toBe(2);
  });

  test('without a good value a fallback, when given, is served for a period', async () => {
    let clock = 0;
    const s = source<string>();
    s.answers.push({ error: new Error('missing') }, { value: 'set' });
    const served: string[] = [];
    const cached = new CachedValue({
      read: s.read,
      maxAgeMs: 10,
      now: () => clock,
      fallback: () => 'default',
      onReadFailed: (_error, value) => served.push(value),
    });
    expect(await cached.get()).toBe('default');
    expect(await cached.get()).toBe('default');
    expect(s.reads()).toBe(1);
    expect(served).toEqual(['default']);
    clock = 10;
    expect(await cached.get()).toBe('set');
  });
});
