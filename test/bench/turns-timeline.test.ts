import { distribution, heardTimeline, type ReceivedEvent, scoreCase } from '../../bench/turns/timeline';

/** 100 ms deltas (800 μ-law bytes) named `<response>-<n>`, as the engine would send them. */
function deltas(response: string, count: number) {
  return Array.from({ length: count }, (_, i) => ({ responseId: response, payload: `${response}-${i}` }));
}
const media = (atMs: number, payload: string): ReceivedEvent => ({
  atMs,
  kind: 'media',
  payload,
  bytes: 800,
});

describe('turn-taking bench: what the caller heard, and the score of a case', () => {
  it('an interruption: the clear stops the answer at once; the next response is the answer', () => {
    const sent = [...deltas('r1', 50), ...deltas('r2', 30)];
    // r1 (5 s of audio) arrives in the first second and plays from 0; the caller speaks at 1000–3000;
    // the bridge clears at 1650; r2 arrives at 3700.
    const received: ReceivedEvent[] = [
      ...deltas('r1', 50).map((d, i) => media(i * 20, d.payload)),
      { atMs: 1650, kind: 'clear' },
      ...deltas('r2', 30).map((d, i) => media(3700 + i * 20, d.payload)),
    ];
    const segments = heardTimeline(received, sent);
    const score = scoreCase(
      segments,
      [
        { id: 'r1', deltas: 20, status: 'cancelled' },
        { id: 'r2', deltas: 30, status: 'completed' },
      ],
      { onsetMs: 1000, offsetMs: 3000, endMs: 6000 },
    );
    expect(score).toMatchObject({
      overResponse: 'r1',
      stopMs: 650,
      stoppedBy: 'clear',
      cut: true,
      resumed: false,
      answers: 1,
      answered: true,
      answerMs: 700,
      talkOverMs: 650,
    });
  });

  it('a backchannel the agent talks through is no cut; nor is a pause that resumes', () => {
    const sent = deltas('r1', 30);
    const through = heardTimeline(
      sent.map((d, i) => media(i * 10, d.payload)),
      sent,
    );
    const responses = [{ id: 'r1', deltas: 30, status: 'completed' as const }];
    expect(scoreCase(through, responses, { onsetMs: 1000, offsetMs: 1500, endMs: 5000 })).toMatchObject({
      cut: false,
      stoppedBy: 'end',
      stopMs: 2000,
      answers: 0,
      answered: false,
    });
    // Paused: cleared at 1200 with r1-12… queued; the bridge sends them again from 2500.
    const resumed = heardTimeline(
      [
        ...sent.map((d, i) => media(i * 10, d.payload)),
        { atMs: 1200, kind: 'clear' },
        ...sent.slice(12).map((d, i) => media(2500 + i * 10, d.payload)),
      ],
      sent,
    );
    expect(scoreCase(resumed, responses, { onsetMs: 1000, offsetMs: 1500, endMs: 6000 })).toMatchObject({
      cut: false,
      resumed: true,
      stoppedBy: 'clear',
      stopMs: 200,
    });
    // Cleared and never resumed: cut.
    const cut = heardTimeline(
      [...sent.map((d, i) => media(i * 10, d.payload)), { atMs: 1200, kind: 'clear' }],
      sent,
    );
    expect(scoreCase(cut, responses, { onsetMs: 1000, offsetMs: 1500, endMs: 6000 }).cut).toBe(true);
  });

  it('a thinking pause: agent audio over the caller, and how many answers reached the phone', () => {
    const sent = [...deltas('g', 10), ...deltas('a1', 40), ...deltas('a2', 40)];
    const received = [
      ...deltas('g', 10).map((d, i) => media(i * 10, d.payload)),
      // The caller speaks 2000–5000; an answer to the first half arrives at 3000 and plays over them,
      // a second one arrives at 5800 and queues behind it.
      ...deltas('a1', 40).map((d, i) => media(3000 + i * 10, d.payload)),
      ...deltas('a2', 40).map((d, i) => media(5800 + i * 10, d.payload)),
    ];
    const score = scoreCase(
      heardTimeline(received, sent),
      [
        { id: 'g', deltas: 10, status: 'completed' },
        { id: 'a1', deltas: 40, status: 'completed' },
        { id: 'a2', deltas: 40, status: 'completed' },
      ],
      { onsetMs: 2000, offsetMs: 5000, endMs: 8000 },
    );
    expect(score).toMatchObject({
      overResponse: undefined,
      talkOverMs: 2000,
      answers: 2,
      answered: true,
      answerMs: -2000,
    });
  });

  it('summarises a distribution honestly', () => {
    expect(distribution([])).toEqual({ n: 0, median: null, max: null });
    expect(distribution([900, 300, 600, 1200])).toEqual({ n: 4, median: 750, max: 1200 });
  });
});
