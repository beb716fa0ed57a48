import { existsSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSpeechCorpus, type Corpus, PAUSE_MS } from '../../bench/turns/corpus';
import { activeLevelDbfs, rmsDbfs, ulawDecode } from '../../bench/turns/pcm';

// Needs espeak-ng, flite, festival and sox (`.ci/run` installs them). Cached across runs.
const DIR = join(tmpdir(), 'bolt-speech-corpus-test');
let corpus: Corpus;
beforeAll(async () => {
  corpus = await buildSpeechCorpus({ dir: DIR, voices: ['flite-slt', 'festival-kal'], levels: [-20, -36] });
}, 60_000);

describe('the speech corpus of npm run bench:turns', () => {
  it('has every kind of clip per voice and level, plus the TV and the agent, in a manifest', () => {
    const kinds = (voice: string, level: number) =>
      corpus.clips.filter((c) => c.voice === voice && c.targetLevelDbfs === level).map((c) => c.kind);
    expect(new Set(kinds('flite-slt', -36))).toEqual(
      new Set(['interruption', 'question', 'backchannel', 'pause']),
    );
    expect(kinds('festival-kal', -20)).toHaveLength(3 + 1 + 6 + 1);
    expect(corpus.clips.filter((c) => c.kind === 'tv')).toHaveLength(3);
    expect(corpus.clips.filter((c) => c.kind === 'agent')).toHaveLength(4);
    const manifest = JSON.parse(readFileSync(join(DIR, 'manifest.json'), 'utf8')) as Corpus;
    expect(manifest.clips.map((c) => c.id)).toEqual(corpus.clips.map((c) => c.id));
    expect(Object.keys(manifest.tools).sort()).toEqual(['espeak-ng', 'festival', 'flite', 'sox']);
  });

  it('sets the active speech level and the line noise, measured again on the μ-law files', () => {
    for (const clip of corpus.clips.filter((c) => c.kind !== 'agent')) {
      expect(existsSync(clip.file)).toBe(true);
      expect(statSync(clip.file).size).toBe(clip.durationMs * 8);
      expect(clip.durationMs % 20).toBe(0);
      expect(Math.abs(clip.levelDbfs - clip.targetLevelDbfs)).toBeLessThan(1); // μ-law and the noise
      expect(Math.abs((clip.noiseDbfs ?? 0) - corpus.lineNoiseDbfs)).toBeLessThan(1.5);
      // Measured here from the file itself: the speech span's active level, the lead-in's noise.
      const samples = ulawDecode(readFileSync(clip.file));
      const level = activeLevelDbfs(samples.subarray(clip.onsetMs * 8, clip.offsetMs * 8));
      expect(Math.abs(level - clip.targetLevelDbfs)).toBeLessThan(1);
      expect(rmsDbfs(samples.subarray(0, 300 * 8))).toBeLessThan(corpus.lineNoiseDbfs + 2);
    }
  });

  it('measures onset, offset and the thinking pause from the audio', () => {
    for (const clip of corpus.clips.filter((c) => c.kind !== 'agent')) {
      expect(clip.onsetMs).toBeGreaterThanOrEqual(400);
      expect(clip.onsetMs).toBeLessThan(600); // the lead-in of line noise, then the first loud enough frame
      expect(clip.offsetMs).toBeGreaterThan(clip.onsetMs + 200);
      expect(clip.offsetMs).toBeLessThanOrEqual(clip.durationMs - 300);
    }
    for (const clip of corpus.clips.filter((c) => c.kind === 'pause')) {
      expect(clip.parts).toEqual(['I run a', 'plumbing company, with six vans.']);
      expect(clip.pauses).toHaveLength(1);
      const pause = clip.pauses[0]!;
      expect(pause.endMs - pause.startMs).toBeGreaterThanOrEqual(PAUSE_MS - 50);
      expect(pause.endMs - pause.startMs).toBeLessThan(PAUSE_MS + 300);
      // Each half's speech, where it was spliced.
      const [first, second] = clip.segments;
      expect(first!.text).toBe('I run a');
      expect(second!.text).toBe('plumbing company, with six vans.');
      expect(Math.abs(first!.startMs - clip.onsetMs)).toBeLessThanOrEqual(10); // 10 ms frames
      expect(Math.abs(second!.endMs - clip.offsetMs)).toBeLessThanOrEqual(10);
      expect(second!.startMs - first!.endMs).toBeGreaterThanOrEqual(PAUSE_MS - 50);
    }
    for (const clip of corpus.clips.filter((c) => c.id.startsWith('interruption2-'))) {
      expect(clip.segments.map((s) => s.text)).toEqual([
        'Sorry, can I stop you there?',
        'I have a different question.',
      ]);
      expect(clip.segments[1]!.startMs).toBeGreaterThan(clip.segments[0]!.endMs);
    }
    for (const clip of corpus.clips.filter((c) => c.kind === 'interruption')) {
      expect(clip.offsetMs - clip.onsetMs).toBeGreaterThan(2000);
      expect(clip.offsetMs - clip.onsetMs).toBeLessThan(4500);
    }
  });

  it('reuses what it built: the same recipe gives the same files without synthesising again', async () => {
    const started = Date.now();
    const again = await buildSpeechCorpus({
      dir: DIR,
      voices: ['flite-slt', 'festival-kal'],
      levels: [-20, -36],
    });
    expect(again.clips.map((c) => c.file)).toEqual(corpus.clips.map((c) => c.file));
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
