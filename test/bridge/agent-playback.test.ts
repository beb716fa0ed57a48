import { AgentPlayback } from '../../services/bridge/agent-playback';
import { waitUntil } from '../support/wait-until';

const STREAM = 'MZ00000000000000000000000000000000';
/** The audio a mark follows at least (ms). */
const MARK_MS = 500;
/** One mark's worth of μ-law (500 ms, 4000 bytes) as base64. */
const chunk = (fill: number) => Buffer.alloc(MARK_MS * 8, fill).toString('base64');

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

  it("tracked: a mark after each chunk of a mark's worth; playing until the last mark echoes", () => {
    const { playback, marks } = rig();
    playback.play(chunk(1), 'item1', 0);
    playback.play(chunk(2), 'item1', 0);
    expect(marks()).toEqual(['a1', 'a2']);
    expect(playback.onMark('a1', 500)).toBe(true);
    expect(playback.isPlaying()).toBe(true);
    expect(playback.onMark('drain-1', 550)).toBe(false);
    playback.onMark('a2', 1000);
    expect(playback.isPlaying()).toBe(false);
  });

  it('a pause clears Twilio and holds the unheard chunks and what arrives meanwhile; a resume plays them in order', () => {
    const { playback, sent, media } = rig();
    for (const fill of [1, 2, 3]) playback.play(chunk(fill), 'item1', 0);
    playback.onMark('a1', 500); // chunk 1 heard
    playback.pause(500);
    expect(sent.at(-1)?.event).toBe('clear');
    expect(playback.isPlaying()).toBe(false);
    playback.play(chunk(4), 'item1', 550);
    playback.onMark('a2', 550); // echo of a cleared mark: not heard
    expect(media()).toEqual([chunk(1), chunk(2), chunk(3)]);
    playback.resume(700);
    expect(media()).toEqual([chunk(1), chunk(2), chunk(3), chunk(2), chunk(3), chunk(4)]);
    expect(playback.isPlaying()).toBe(true);
  });

  it('a cut says how much of the reply was heard, from the marks and Twilio’s clock, and drops the rest', () => {
    const { playback, sent } = rig();
    for (const fill of [1, 2, 3]) playback.play(chunk(fill), 'item1', 1000);
    playback.onMark('a1', 1500);
    expect(playback.cut(1540)).toEqual({ itemId: 'item1', audioEndMs: 540, deliveredMs: 1500 });
    expect(sent.at(-1)?.event).toBe('clear');
    expect(playback.isPlaying()).toBe(false);
  });

  it('a cut after a pause counts only what was heard before it, and drops the held audio', () => {
    const { playback, media } = rig();
    for (const fill of [1, 2]) playback.play(chunk(fill), 'item1', 0);
    playback.onMark('a1', 500);
    playback.pause(500);
    playback.play(chunk(3), 'item1', 600);
    expect(playback.cut(1900)).toEqual({ itemId: 'item1', audioEndMs: 500, deliveredMs: 1500 });
    playback.resume(1000);
    expect(media()).toHaveLength(2);
  });

  it('nothing to cut when the reply has played out', () => {
    const { playback } = rig();
    playback.play(chunk(1), 'item1', 0);
    playback.onMark('a1', 500);
    expect(playback.cut(600)).toBeUndefined();
  });
});

describe('agent playback marks', () => {
  /** 20 ms of μ-law (160 bytes), a Twilio-sized chunk, as base64. */
  const frame = (fill: number) => Buffer.alloc(160, fill).toString('base64');

  it('one mark per 500 ms of audio, not per chunk; the chunks before a mark are heard with it', () => {
    const { playback, marks, media } = rig();
    for (let fill = 1; fill <= 50; fill++) playback.play(frame(fill), 'item1', 0);
    expect(media()).toHaveLength(50);
    expect(marks()).toEqual(['a1', 'a2']);
    expect(playback.onMark('a1', 500)).toBe(true);
    expect(playback.isPlaying()).toBe(true);
    expect(playback.onMark('a2', 1000)).toBe(true);
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

  it('audio that stops short of 500 ms gets its mark once it pauses, so the end of a reply is known', async () => {
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
      // Chunks every 40 ms, never reaching 500 ms unmarked before a pause: 20 ms each.
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
    for (let fill = 1; fill <= 50; fill++) playback.play(frame(fill), 'item1', 1000);
    playback.onMark('a1', 1500);
    expect(playback.cut(1530)).toEqual({ itemId: 'item1', audioEndMs: 530, deliveredMs: 1000 });
  });

  it('echoes of marks a pause cleared, and names that are not ours, change nothing', () => {
    const { playback, marks } = rig();
    for (let fill = 1; fill <= 50; fill++) playback.play(frame(fill), 'item1', 0);
    playback.pause(0);
    playback.resume(0);
    expect(marks()).toEqual(['a1', 'a2', 'a3', 'a4']);
    for (const name of ['a1', 'a2', 'a5', 'a', 'a-3', 'b3', 'drain-1'])
      expect(playback.onMark(name, 50)).toBe(false);
    expect(playback.onMark('a4', 1000)).toBe(true);
    expect(playback.isPlaying()).toBe(false);
  });

  it('a pause keeps what Twilio’s clock says is unheard, from 100 ms before it; a cut then counts the rest as heard', () => {
    const { playback, media } = rig();
    for (let fill = 1; fill <= 25; fill++) playback.play(frame(fill), 'item1', 1000);
    // 300 ms into the playing mark: 200 ms (10 frames) are taken as heard, the rest is held.
    playback.pause(1300);
    playback.resume(1400);
    expect(media().slice(25)).toEqual(Array.from({ length: 15 }, (_, i) => frame(i + 11)));
    playback.pause(1400);
    expect(playback.cut(1500)).toEqual({ itemId: 'item1', audioEndMs: 200, deliveredMs: 500 });
  });

  it('a cut while paused truncates at what Twilio’s clock said was heard at the pause, not at what a resume would replay', () => {
    const { playback } = rig();
    for (let fill = 1; fill <= 25; fill++) playback.play(frame(fill), 'item1', 1000);
    playback.pause(1310);
    expect(playback.cut(2000)).toEqual({ itemId: 'item1', audioEndMs: 310, deliveredMs: 500 });
  });
});
