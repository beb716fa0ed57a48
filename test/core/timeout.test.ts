import { attemptSignal } from '../../services/core/shared/timeout.js';

beforeEach(() => {
  jest.useFakeTimers();
});
afterEach(() => {
  jest.useRealTimers();
});

describe('attemptSignal', () => {
  test('aborts after its limit with the reason AbortSignal.timeout gives', () => {
    const attempt = attemptSignal(5000, new AbortController().signal);

    jest.advanceTimersByTime(4999);
    expect(attempt.signal.aborted).toBe(false);
    jest.advanceTimersByTime(1);
    expect(attempt.signal.aborted).toBe(true);
    expect(attempt.signal.reason).toBeInstanceOf(DOMException);
    expect((attempt.signal.reason as DOMException).name).toBe('TimeoutError');
  });

  test('aborts with the outer signal, at once when it is aborted already', () => {
    const outer = new AbortController();
    const attempt = attemptSignal(5000, outer.signal);
    outer.abort(new Error('hung up'));
    expect(attempt.signal.aborted).toBe(true);
    expect((attempt.signal.reason as Error).message).toBe('hung up');

    expect(attemptSignal(5000, outer.signal).signal.aborted).toBe(true);
  });

  test('once done, neither the limit nor the outer signal aborts it', () => {
    const outer = new AbortController();
    const attempt = attemptSignal(5000, outer.signal);
    attempt.done();

    jest.advanceTimersByTime(10_000);
    outer.abort();
    expect(attempt.signal.aborted).toBe(false);
    expect(jest.getTimerCount()).toBe(0);
  });
});
