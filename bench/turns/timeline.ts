/**
 * What the caller heard, rebuilt from what reached the (simulated) phone: every agent `media` and
 * `clear` the bridge sent to Twilio, played as Twilio plays them (in order, in real time, a `clear`
 * drops what is queued), each chunk attributed to the engine response that produced it (the bridge
 * forwards the engine's payload strings unchanged). Then one case is scored from it. Pure functions:
 * test/bench/turns-timeline.test.ts feeds them synthetic timelines.
 */

export type ReceivedEvent =
  | { atMs: number; kind: 'media'; payload: string; bytes: number }
  | { atMs: number; kind: 'clear' };

/** One audio delta the engine sent, in order. */
export interface SentDelta {
  responseId: string;
  payload: string;
}

export interface Segment {
  responseId: string | undefined;
  /** Index of the delta within its response. */
  deltaIndex: number;
  /** When it was received (reached the phone). */
  receivedAtMs: number;
  startMs: number;
  /** Where it stopped playing (a `clear` may cut it short; `endMs === startMs`: never heard). */
  endMs: number;
  /** Whether all of it was played. */
  full: boolean;
}

/** Plays the received events as Twilio does; attributes each chunk to its response. */
export function heardTimeline(received: ReceivedEvent[], sent: SentDelta[]): Segment[] {
  const byPayload = new Map<string, number[]>();
  sent.forEach((delta, index) => {
    const list = byPayload.get(delta.payload) ?? [];
    list.push(index);
    byPayload.set(delta.payload, list);
  });
  const indexInResponse = new Map<number, number>();
  const counts = new Map<string, number>();
  sent.forEach((delta, index) => {
    const n = counts.get(delta.responseId) ?? 0;
    indexInResponse.set(index, n);
    counts.set(delta.responseId, n + 1);
  });
  const segments: Segment[] = [];
  let playEnd = Number.NEGATIVE_INFINITY;
  let lastSent = -1;
  for (const event of received) {
    if (event.kind === 'clear') {
      for (const segment of segments) {
        if (segment.endMs > event.atMs) {
          segment.endMs = Math.max(segment.startMs, event.atMs);
          segment.full = false;
        }
      }
      playEnd = event.atMs;
      continue;
    }
    // The first matching delta at or after the last one matched (a payload replayed later, e.g. a
    // resumed answer, falls back to its latest earlier match).
    const candidates = byPayload.get(event.payload) ?? [];
    const match = candidates.find((i) => i >= lastSent) ?? candidates.filter((i) => i < lastSent).at(-1);
    if (match !== undefined) lastSent = Math.max(lastSent, match);
    const startMs = Math.max(playEnd, event.atMs);
    const endMs = startMs + event.bytes / 8;
    playEnd = endMs;
    segments.push({
      responseId: match === undefined ? undefined : sent[match]!.responseId,
      deltaIndex: match === undefined ? -1 : indexInResponse.get(match)!,
      receivedAtMs: event.atMs,
      startMs,
      endMs,
      full: true,
    });
  }
  return segments;
}

/** Responses as the engine finished them: how many deltas and whether it completed. */
export interface ResponseInfo {
  id: string;
  deltas: number;
  status: 'completed' | 'cancelled' | 'in_progress';
}

export interface CaseTimes {
  /** Caller speech onset and offset (the clip's, measured from the audio, on the same clock). */
  onsetMs: number;
  offsetMs: number;
  /** When the case was scored (audio after it is not seen). */
  endMs: number;
}

export interface CaseScore {
  /** The response playing when the caller started speaking, if any. */
  overResponse: string | undefined;
  /** Onset → the agent's audio stopped playing (the contiguous playback around the onset ended). */
  stopMs: number | null;
  /** How it stopped: `clear` (the bridge stopped it), `end` (the answer was over), `null`: still playing. */
  stoppedBy: 'clear' | 'end' | null;
  /** The answer playing at onset was never heard to its end (a pause that resumes is not a cut). */
  cut: boolean;
  /** The interrupted answer paused and later went on. */
  resumed: boolean;
  /** Distinct later responses whose audio reached the phone after the onset. */
  answers: number;
  /** Whether one of them was heard (played) before the case ended. */
  answered: boolean;
  /** Caller offset → the first answer heard (negative: it began while the caller spoke). */
  answerMs: number | null;
  /** Agent audio heard while the caller was speaking (onset → offset). */
  talkOverMs: number;
}

const GAP_MS = 30;

export function scoreCase(segments: Segment[], responses: ResponseInfo[], times: CaseTimes): CaseScore {
  const heard = segments.filter((s) => s.endMs > s.startMs && s.startMs < times.endMs);
  const playing = heard.find((s) => s.startMs <= times.onsetMs && s.endMs > times.onsetMs);
  const overResponse = playing?.responseId;
  // The contiguous run of playback that was going on at the onset.
  let stopMs: number | null = null;
  let stoppedBy: CaseScore['stoppedBy'] = null;
  if (playing) {
    let runEnd = playing.endMs;
    for (const segment of heard) {
      if (segment.startMs <= runEnd + GAP_MS && segment.endMs > runEnd) runEnd = segment.endMs;
    }
    if (runEnd <= times.endMs) {
      stopMs = runEnd - times.onsetMs;
      // A clear at the run's end cuts a segment there (or drops a queued one, left with no length).
      stoppedBy = segments.some((s) => !s.full && Math.abs(s.endMs - runEnd) < 0.5) ? 'clear' : 'end';
    }
  }
  let cut = false;
  let resumed = false;
  if (overResponse !== undefined) {
    const info = responses.find((r) => r.id === overResponse);
    const own = heard.filter((s) => s.responseId === overResponse);
    const lastDelta = own.filter((s) => s.deltaIndex === (info?.deltas ?? 0) - 1 && s.full);
    cut = !(info?.status === 'completed' && lastDelta.length > 0);
    const after = own.filter((s) => s.startMs > times.onsetMs);
    resumed = after.some((s, i) => i > 0 && s.startMs - after[i - 1]!.endMs > 200) && !cut;
  }
  const before = new Set(segments.filter((s) => s.receivedAtMs <= times.onsetMs).map((s) => s.responseId));
  const later = segments.filter(
    (s) =>
      s.responseId !== undefined &&
      s.responseId !== overResponse &&
      !before.has(s.responseId) &&
      s.receivedAtMs > times.onsetMs &&
      s.receivedAtMs < times.endMs,
  );
  const answerIds = new Set(later.map((s) => s.responseId));
  const firstHeard = later.find((s) => s.endMs > s.startMs && s.startMs < times.endMs);
  let talkOverMs = 0;
  for (const segment of heard) {
    talkOverMs += Math.max(
      0,
      Math.min(segment.endMs, times.offsetMs) - Math.max(segment.startMs, times.onsetMs),
    );
  }
  return {
    overResponse,
    stopMs,
    stoppedBy,
    cut,
    resumed,
    answers: answerIds.size,
    answered: firstHeard !== undefined,
    answerMs: firstHeard ? firstHeard.startMs - times.offsetMs : null,
    talkOverMs,
  };
}

/** Median, max and n of a list (null when empty). */
export function distribution(values: number[]): { n: number; median: number | null; max: number | null } {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return { n: 0, median: null, max: null };
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { n: sorted.length, median, max: sorted.at(-1)! };
}
