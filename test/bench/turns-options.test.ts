import { parseTurnBenchOptions } from '../../bench/turns/options';

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
