import { CALLER_VOICE_IDS } from '../../bench/turns/corpus';
import { parseTurnBenchOptions } from '../../bench/turns/options';
import { planCases } from '../../bench/turns/plan';

describe('npm run bench:turns options', () => {
  it('defaults to the full profile, and --quick to one voice at -28 dBFS with one of each case', () => {
    expect(parseTurnBenchOptions([])).toMatchObject({
      quick: false,
      voices: ['espeak-m', 'espeak-f', 'flite-slt', 'flite-rms', 'festival-kal', 'festival-ked'],
      levels: [-20, -28, -36],
      cases: ['interruption', 'question', 'pause', 'backchannel', 'tv', 'frozen'],
      backchannels: 2,
      frozenRuns: 3,
    });
    expect(parseTurnBenchOptions(['--quick'])).toMatchObject({
      voices: ['flite-slt'],
      levels: [-28],
      backchannels: 1,
      frozenRuns: 1,
    });
  });

  it('reads voices, levels (with or without the sign), cases and the JSON file', () => {
    expect(
      parseTurnBenchOptions([
        '--voices',
        'flite-rms,espeak-f',
        '--levels',
        '20,36',
        '--cases',
        'tv,pause',
        '--json',
        '/tmp/t.json',
      ]),
    ).toMatchObject({
      voices: ['flite-rms', 'espeak-f'],
      levels: [-20, -36],
      cases: ['tv', 'pause'],
      json: '/tmp/t.json',
    });
    expect(parseTurnBenchOptions(['--levels=-28']).levels).toEqual([-28]);
  });

  it('names the option that is wrong', () => {
    expect(() => parseTurnBenchOptions(['--voices', 'siri'])).toThrow(/--voices: voice: one of espeak-m/);
    expect(() => parseTurnBenchOptions(['--levels', 'loud'])).toThrow(/--levels/);
    expect(() => parseTurnBenchOptions(['--levels', '80'])).toThrow(/--levels: not below -60 dBFS/);
    expect(() => parseTurnBenchOptions(['--cases', 'sneeze'])).toThrow(/--cases/);
    expect(() => parseTurnBenchOptions(['--concurrency', '0'])).toThrow(/--concurrency/);
  });
});

describe('npm run bench:turns plan', () => {
  it('gives every level every interruption sentence and every backchannel across the voices', () => {
    const options = parseTurnBenchOptions([]);
    const clips = options.voices.flatMap((voice) =>
      options.levels.flatMap((level) =>
        [1, 2, 3]
          .map((i) => `interruption${i}`)
          .concat(['question', 'pause', 'bc-uhhuh', 'bc-okay', 'bc-Isee', 'bc-yeah', 'bc-right', 'bc-mmhmm'])
          .map((kind) => ({ id: `${kind}-${voice}@${-level}`, targetLevelDbfs: level, voice })),
      ),
    );
    const tv = [1, 2, 3].map((i) => ({ id: `tv${i}`, targetLevelDbfs: -40, voice: 'tv' }));
    const corpus = { clips: [...clips, ...tv] } as unknown as Parameters<typeof planCases>[0];
    const { cases, frozen } = planCases(corpus, options);
    expect(CALLER_VOICE_IDS).toHaveLength(6);
    expect(cases).toHaveLength(6 * 3 * (1 + 1 + 1 + 2) + 6);
    expect(frozen).toHaveLength(3);
    for (const level of options.levels) {
      const at = cases.filter((c) => c.levelDbfs === level);
      const sentences = new Set(
        at.filter((c) => c.kind === 'interruption').map((c) => c.clip.id.split('-')[0]),
      );
      expect(sentences).toEqual(new Set(['interruption1', 'interruption2', 'interruption3']));
      const backchannels = new Set(
        at.filter((c) => c.kind === 'backchannel').map((c) => c.clip.id.split('-')[1]),
      );
      expect(backchannels.size).toBe(6);
    }
  });
});
