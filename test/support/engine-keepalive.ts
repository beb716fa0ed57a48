import type { Recorder } from './engine-recorder';
import { waitUntil } from './wait-until';

/** The keepalive limits of a test engine: short, so a stall shows within a test. */
export interface FastKeepalive {
  pingIntervalMs: number;
  stallAfterMs: number;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Hangs the far end once a pong has shown that it answers pings (before that, silence is judged
 * more leniently), then expects the engine to report a keepalive stall within its limit.
 */
export async function expectKeepaliveStallAfterHang(
  r: Recorder,
  hang: () => void,
  limits: FastKeepalive,
  detail: RegExp,
): Promise<void> {
  await pause(3 * limits.pingIntervalMs);
  const hungAt = Date.now();
  hang();
  await waitUntil(() => r.ended.length === 1, 'stalled', 2000);
  expect(Date.now() - hungAt).toBeLessThan(limits.stallAfterMs + 2 * limits.pingIntervalMs + 100);
  expect(r.ended).toEqual([
    { kind: 'engine-stalled', stall: 'keepalive', detail: expect.stringMatching(detail) },
  ]);
}

/** A far end that never answers pings: silence past the usual limit is not yet a stall, but it comes. */
export async function expectLenientKeepaliveUntilPong(r: Recorder, limits: FastKeepalive): Promise<void> {
  await pause(2 * limits.stallAfterMs + 50);
  expect(r.ended).toEqual([]);
  await waitUntil(() => r.ended.length === 1, 'stalled', 2000);
  expect(r.ended[0]).toMatchObject({ kind: 'engine-stalled', stall: 'keepalive' });
}
