import { PlaybackTracker } from '../../services/bridge/playback-tracker';

describe('PlaybackTracker', () => {
  it('truncates at the elapsed media time, never beyond the audio delivered', () => {
    const tracker = new PlaybackTracker();
    tracker.onAgentAudio('item1', 800, 1000); // 100 ms of audio, first delta at media time 1000
    tracker.onAgentAudio('item1', 800, 1020); // 200 ms delivered in all
    expect(tracker.interrupt(1150)).toMatchObject({ itemId: 'item1', audioEndMs: 150 });

    tracker.onAgentAudio('item2', 800, 2000);
    expect(tracker.interrupt(9000)).toEqual({ itemId: 'item2', audioEndMs: 100, deliveredMs: 100 });
  });

  it('skips truncation once everything has played, and resets per item', () => {
    const tracker = new PlaybackTracker();
    const mark = tracker.onAgentAudio('item1', 1600, 0);
    tracker.onMark(mark);
    expect(tracker.isPlaying()).toBe(false);
    expect(tracker.interrupt(500)).toBeUndefined();

    tracker.onAgentAudio('item2', 1600, 600);
    tracker.onAgentAudio('item3', 160, 700); // a new item restarts the clock
    expect(tracker.interrupt(710)).toMatchObject({ itemId: 'item3', audioEndMs: 10 });
  });

  it('ignores the echoes of marks a clear discarded', () => {
    const tracker = new PlaybackTracker();
    const old = tracker.onAgentAudio('item1', 160, 0);
    tracker.interrupt(10);
    tracker.onAgentAudio('item2', 160, 20);
    tracker.onMark(old);
    expect(tracker.isPlaying()).toBe(true);
  });
});
