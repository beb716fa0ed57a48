import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { HOLD_PROMPT_FRAMES, HOLD_PROMPT_MS } from '../../services/bridge/hold-prompt';
import { HOLD_PROMPT_ULAW_BASE64 } from '../../services/bridge/hold-prompt-clip';
import { isSilentUlaw } from '../../services/local/sim/audio';

const ROOT = join(__dirname, '..', '..');
const clip = readFileSync(join(ROOT, 'services', 'bridge', 'hold-prompt.ulaw'));

describe('the hold prompt', () => {
  it('is the committed clip, embedded byte for byte (scripts/make-hold-prompt.sh writes both)', () => {
    expect(Buffer.from(HOLD_PROMPT_ULAW_BASE64, 'base64').equals(clip)).toBe(true);
  });

  it('is whole 20 ms frames of base64 μ-law, about a second long, and audible', () => {
    expect(HOLD_PROMPT_MS).toBeGreaterThanOrEqual(700);
    expect(HOLD_PROMPT_MS).toBeLessThanOrEqual(1600);
    const frames = HOLD_PROMPT_FRAMES.map((frame) => Buffer.from(frame, 'base64'));
    expect(frames.every((frame) => frame.length === 160)).toBe(true);
    expect(Buffer.concat(frames).equals(clip)).toBe(true);
    // Speech, trimmed: it starts within its first 100 ms, and most of it is not silence.
    expect(frames.slice(0, 5).some((frame) => !isSilentUlaw(frame))).toBe(true);
    expect(frames.filter((frame) => !isSilentUlaw(frame)).length).toBeGreaterThan(frames.length / 2);
  });

  it('needs no file at run time: bundled like the bridge and run elsewhere, it has the same frames', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hold-prompt-'));
    try {
      const outfile = join(dir, 'bundle.js');
      // The flags of `npm run build:bridge`.
      await build({
        entryPoints: [join(ROOT, 'services', 'bridge', 'hold-prompt.ts')],
        bundle: true,
        platform: 'node',
        target: 'node24',
        format: 'cjs',
        minify: true,
        outfile,
        logLevel: 'silent',
      });
      const printed = execFileSync(
        process.execPath,
        [
          '-e',
          `process.stdout.write(JSON.stringify(require(${JSON.stringify(outfile)}).HOLD_PROMPT_FRAMES))`,
        ],
        { cwd: dir },
      );
      expect(JSON.parse(printed.toString())).toEqual([...HOLD_PROMPT_FRAMES]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
