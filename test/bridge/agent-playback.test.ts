import { AgentPlayback } from '../../services/bridge/agent-playback';
import { waitUntil } from '../support/wait-until';

const STREAM = 'MZ00000000000000000000000000000000';
/** 100 ms of μ-law (800 bytes) as base64. */
const chunk = (fill: number) => Buffer.alloc(800, fill).toString('base64');

function rig(tracked = true) {
  const sent: Array<{ event: string; payload?: string; name?: string }> = [];
  const playback = new AgentPlayback(
    STREAM,
    (message) => {
      const parsed = JSON.parse(message) as {
        event: string;
        media?: { payload: string };
        mark?: { name: string };
      };
      sent.push({ event: parsed.event, payload: parsed.media?.payload, name: parsed.mark?.name });
    },
    tracked,
  );
  const marks = () => sent.filter((m) => m.event === 'mark').map((m) => m.name!);
  const media = () => sent.filter((m) => m.event === 'media').map((m) => m.payload!);
  return { playback, sent, marks, media };
}

describe('agent playback', () => {
  it('untracked: forwards each payload as is, with no mark (ElevenLabs, byte for byte as before)', () => {
    const { playback, sent } = rig(false);
    playback.play(chunk(1), undefined, 0);
    expect(sent).toEqual([{ event: 'media', payload: chunk(1), name: undefined }]);
    expect(playback.isPlaying()).toBe(false);
    expect(playback.cut(100)).toBeUndefined();
    expect(sent.at(-1)?.event).toBe('clear');
  });

  it('tracked: a mark after each chunk; playing until the last mark echoes', () => {
    const { playback, marks } = rig();
    playback.play(chunk(1), 'item1', 0);
    playback.play(chunk(2), 'item1', 0);
    expect(marks()).toEqual(['a1', 'a2']);
    expect(playback.onMark('a1', 100)).toBe(true);
    expect(playback.isPlaying()).toBe(true);
    expect(playback.onMark('drain-1', 150)).toBe(false);
    playback.onMark('a2', 200);
    expect(playback.isPlaying()).toBe(false);
  });

  it('a pause clears Twilio and holds the unheard chunks and what arrives meanwhile; a resume plays them in order', () => {
    const { playback, sent, media } = rig();
    for (const fill of [1, 2, 3]) playback.play(chunk(fill), 'item1', 0);
    playback.onMark('a1', 100); // chunk 1 heard
    playback.pause();
    expect(sent.at(-1)?.event).toBe('clear');
    expect(playback.isPlaying()).toBe(false);
    playback.play(chunk(4), 'item1', 150);
    playback.onMark('a2', 150); // echo of a cleared mark: not heard
    expect(media()).toEqual([chunk(1), chunk(2), chunk(3)]);
    playback.resume(300);
    expect(media()).toEqual([chunk(1), chunk(2), chunk(3), chunk(2), chunk(3), chunk(4)]);
    expect(playback.isPlaying()).toBe(true);
  });

  it('a cut says how much of the reply was heard, from the marks and Twilio’s clock, and drops the rest', () => {
    const { playback, sent } = rig();
    for (const fill of [1, 2, 3]) playback.play(chunk(fill), 'item1', 1000);
    playback.onMark('a1', 1100);
    expect(playback.cut(1140)).toEqual({ itemId: 'item1', audioEndMs: 140, deliveredMs: 300 });
    expect(sent.at(-1)?.event).toBe('clear');
    expect(playback.isPlaying()).toBe(false);
  });

  it('a cut after a pause counts only what was heard before it, and drops the held audio', () => {
    const { playback, media } = rig();
    for (const fill of [1, 2]) playback.play(chunk(fill), 'item1', 0);
    playback.onMark('a1', 100);
    playback.pause();
    playback.play(chunk(3), 'item1', 200);
    expect(playback.cut(900)).toEqual({ itemId: 'item1', audioEndMs: 100, deliveredMs: 300 });
    playback.resume(1000);
    expect(media()).toHaveLength(2);
  });

  it('nothing to cut when the reply has played out', () => {
    const { playback } = rig();
    playback.play(chunk(1), 'item1', 0);
    playback.onMark('a1', 100);
    expect(playback.cut(200)).toBeUndefined();
  });
});

describe('agent playback marks', () => {
  /** 20 ms of μ-law (160 bytes), a Twilio-sized chunk, as base64. */
  const frame = (fill: number) => Buffer.alloc(160, fill).toString('base64');

  it('one mark per 100 ms of audio, not per chunk; the chunks before a mark are heard with it', () => {
    const { playback, marks, media } = rig();
    for (let fill = 1; fill <= 10; fill++) playback.play(frame(fill), 'item1', 0);
    expect(media()).toHaveLength(10);
    expect(marks()).toEqual(['a1', 'a2']);
    expect(playback.onMark('a1', 100)).toBe(true);
    expect(playback.isPlaying()).toBe(true);
    expect(playback.onMark('a2', 200)).toBe(true);
    expect(playback.isPlaying()).toBe(false);
  });

  it('a new item starts a new mark, so what was heard of each item is counted apart', () => {
    const { playback, marks } = rig();
    playback.play(frame(1), 'item1', 0);
    playback.play(frame(2), 'item2', 0);
    expect(marks()).toEqual(['a1']);
    playback.onMark('a1', 20);
    expect(playback.cut(30)).toEqual({ itemId: 'item2', audioEndMs: 10, deliveredMs: 20 });
  });

  it('audio that stops short of 100 ms gets its mark once it pauses, so the end of a reply is known', async () => {
    const { playback, marks } = rig();
    playback.play(frame(1), 'item1', 0);
    playback.play(frame(2), 'item1', 0);
    expect(marks()).toEqual([]);
    await waitUntil(() => marks().length === 1, 'the idle mark');
    expect(marks()).toEqual(['a1']);
    playback.onMark('a1', 40);
    expect(playback.isPlaying()).toBe(false);
  });

  it('audio that keeps coming defers the idle mark, and one mark follows within twice the idle time of its end', () => {
    jest.useFakeTimers();
    try {
      const { playback, marks } = rig();
      // Chunks every 40 ms, never reaching 100 ms unmarked before a pause: 20 ms each.
      playback.play(frame(1), 'item1', 0);
      jest.advanceTimersByTime(40);
      playback.play(frame(2), 'item1', 0);
      jest.advanceTimersByTime(40);
      playback.play(frame(3), 'item1', 0);
      jest.advanceTimersByTime(40);
      expect(marks()).toEqual([]);
      jest.advanceTimersByTime(60);
      expect(marks()).toEqual(['a1']);
      jest.advanceTimersByTime(500);
      expect(marks()).toEqual(['a1']);
    } finally {
      jest.useRealTimers();
    }
  });

  it('a cut counts the playing mark’s chunks by Twilio’s clock, to within a mark', () => {
    const { playback } = rig();
    for (let fill = 1; fill <= 10; fill++) playback.play(frame(fill), 'item1', 1000);
    playback.onMark('a1', 1100);
    expect(playback.cut(1130)).toEqual({ itemId: 'item1', audioEndMs: 130, deliveredMs: 200 });
  });

  it('echoes of marks a pause cleared, and names that are not ours, change nothing', () => {
    const { playback, marks } = rig();
    for (let fill = 1; fill <= 10; fill++) playback.play(frame(fill), 'item1', 0);
    playback.pause();
    playback.resume(0);
    expect(marks()).toEqual(['a1', 'a2', 'a3', 'a4']);
    for (const name of ['a1', 'a2', 'a5', 'a', 'a-3', 'b3', 'drain-1'])
      expect(playback.onMark(name, 50)).toBe(false);
    expect(playback.onMark('a4', 200)).toBe(true);
    expect(playback.isPlaying()).toBe(false);
  });
});
