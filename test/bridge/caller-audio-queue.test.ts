import { CallerAudioQueue, MAX_QUEUED_FRAMES } from '../../services/bridge/caller-audio-queue';

describe('caller audio queue', () => {
  it('keeps frames in order, drops the oldest when full, and warns once', () => {
    let warnings = 0;
    const queue = new CallerAudioQueue(() => warnings++);
    for (let i = 0; i < MAX_QUEUED_FRAMES + 5; i++) queue.push(`frame-${i}`);
    const frames = queue.drain();
    expect(frames).toHaveLength(MAX_QUEUED_FRAMES);
    expect(frames[0]).toBe('frame-5');
    expect(frames.at(-1)).toBe(`frame-${MAX_QUEUED_FRAMES + 4}`);
    expect(warnings).toBe(1);
    expect(queue.drain()).toEqual([]);
  });

  it('clear drops what is held', () => {
    const queue = new CallerAudioQueue(() => {});
    queue.push('a');
    queue.clear();
    expect(queue.drain()).toEqual([]);
  });
});
