import type { TurnCase } from './cases';
import { BACKCHANNELS, type Corpus, type CorpusClip } from './corpus';
import type { TurnBenchOptions } from './options';

/** The cases of the profile, in the order they run. */
export function planCases(
  corpus: Corpus,
  o: Pick<TurnBenchOptions, 'voices' | 'levels' | 'cases' | 'backchannels' | 'frozenRuns'>,
): { cases: TurnCase[]; frozen: TurnCase[] } {
  const clip = (id: string): CorpusClip => {
    const found = corpus.clips.find((c) => c.id === id);
    if (!found) throw new Error(`no clip ${id} in the corpus`);
    return found;
  };
  const cases: TurnCase[] = [];
  const add = (kind: TurnCase['kind'], c: CorpusClip) =>
    cases.push({ id: `${kind}:${c.id}`, kind, clip: c, voice: c.voice, levelDbfs: c.targetLevelDbfs });
  // Rotations by voice and level, so each level hears every sentence and backchannel across voices.
  for (const [v, voice] of o.voices.entries()) {
    for (const [l, level] of o.levels.entries()) {
      const at = `${voice}@${-level}`;
      if (o.cases.includes('interruption'))
        add('interruption', clip(`interruption${((v + l) % 3) + 1}-${at}`));
      if (o.cases.includes('question')) add('question', clip(`question-${at}`));
      if (o.cases.includes('pause')) add('pause', clip(`pause-${at}`));
      if (o.cases.includes('backchannel')) {
        for (let b = 0; b < o.backchannels; b++) {
          const text = BACKCHANNELS[(v * o.backchannels + b + l) % BACKCHANNELS.length]!;
          add('backchannel', clip(`bc-${text.replace(/\W+/g, '')}-${at}`));
        }
      }
    }
    if (o.cases.includes('tv')) add('tv', clip(`tv${(v % 3) + 1}`));
  }
  const frozen: TurnCase[] = [];
  if (o.cases.includes('frozen')) {
    for (let i = 0; i < o.frozenRuns; i++) {
      const voice = o.voices[i % o.voices.length]!;
      const c = clip(`question-${voice}@${-o.levels[0]!}`);
      frozen.push({
        id: `frozen:${c.id}#${i + 1}`,
        kind: 'frozen',
        clip: c,
        voice,
        levelDbfs: c.targetLevelDbfs,
      });
    }
  }
  return { cases, frozen };
}
