/**
 * The softphone and the calls page in a real browser: Debian's Chromium driven by playwright-core,
 * its fake microphone fed a recorded caller clip. The page places a call into the local stack
 * (no .env: the defaults `npm start` fills in) against the simulated ElevenLabs engine; the engine
 * hears the clip, its reply plays in the page, the transcript panel shows both turns, and after
 * hanging up the call is on /calls. Screenshots go to test-artifacts/.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { type LocalApp, startLocalApp } from '../../../services/local/app';
import { DEMO_BUSINESS_PROFILE, priceAnswer } from '../../../services/local/demo-business-profile.js';
import { fillLocalDefaults } from '../../../services/local/local-defaults';
import { FRAME_BYTES, loadClip } from '../../../services/local/sim/audio';
import { decodeUlaw } from '../../../services/local/web/mulaw';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = join(__dirname, '..', '..', '..', 'test-artifacts');
const CLIP = 'caller-hello';
/** A clip of about the same length that the microphone never played. */
const OTHER_CLIP = 'caller-mid-sentence-pause';
/** What the simulated engine reports hearing for the first turn, and what the agent answers. */
const CALLER_TEXT = 'Hi, I am calling about your AI receptionist service.';
// The demo script's first answer comes from the demo business profile.
const AGENT_REPLY = priceAnswer(DEMO_BUSINESS_PROFILE);

/** A 16-bit PCM mono WAV of the clip (8 kHz), with quiet before and after so the turn ends. */
function clipWav(path: string): void {
  const samples = decodeUlaw(new Uint8Array(loadClip(CLIP)));
  const lead = 8000 * 0.3;
  const tail = 8000 * 3.5;
  const total = lead + samples.length + tail;
  const wav = Buffer.alloc(44 + total * 2);
  wav.write('RIFF', 0);
  wav.writeUInt32LE(36 + total * 2, 4);
  wav.write('WAVEfmt ', 8);
  wav.writeUInt32LE(16, 16);
  wav.writeUInt16LE(1, 20); // PCM
  wav.writeUInt16LE(1, 22); // mono
  wav.writeUInt32LE(8000, 24);
  wav.writeUInt32LE(16000, 28);
  wav.writeUInt16LE(2, 32);
  wav.writeUInt16LE(16, 34);
  wav.write('data', 36);
  wav.writeUInt32LE(total * 2, 40);
  samples.forEach((s, i) => {
    wav.writeInt16LE(Math.round(Math.max(-1, Math.min(1, s)) * 32767), 44 + (lead + i) * 2);
  });
  writeFileSync(path, wav);
}

/** Loudness of each 20 ms frame of μ-law audio. */
function envelope(ulaw: Buffer): number[] {
  const frames: number[] = [];
  for (let offset = 0; offset + FRAME_BYTES <= ulaw.length; offset += FRAME_BYTES) {
    const samples = decodeUlaw(new Uint8Array(ulaw.subarray(offset, offset + FRAME_BYTES)));
    frames.push(Math.sqrt(samples.reduce((sum, s) => sum + s * s, 0) / samples.length));
  }
  return frames;
}

/** The best normalised correlation of the clip's loudness contour anywhere in what was heard. */
function bestMatch(heard: number[], clip: number[]): number {
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const clipMean = mean(clip);
  const clipDev = clip.map((c) => c - clipMean);
  const clipNorm = Math.sqrt(clipDev.reduce((a, b) => a + b * b, 0));
  let best = -1;
  for (let lag = 0; lag + clip.length <= heard.length; lag++) {
    const window = heard.slice(lag, lag + clip.length);
    const windowMean = mean(window);
    let dot = 0;
    let norm = 0;
    window.forEach((w, i) => {
      dot += (w - windowMean) * (clipDev[i] as number);
      norm += (w - windowMean) ** 2;
    });
    if (norm > 0) best = Math.max(best, dot / (Math.sqrt(norm) * clipNorm));
  }
  return best;
}

/** Agent audio the page's player has played, in ms (its `#played[data-ms]`). */
async function playedMs(page: Page): Promise<number> {
  return Number(await page.locator('#played').getAttribute('data-ms'));
}

/** Waits until the page's player has played `ms` of agent audio. */
async function waitForPlayed(page: Page, ms: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const played = await playedMs(page);
    if (played >= ms) return;
    if (Date.now() > deadline) throw new Error(`Only ${played} ms of agent audio played, expected ${ms}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('softphone and calls page in Chromium', () => {
  let app: LocalApp;
  let context: BrowserContext;
  let page: Page;
  let work: string;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`No Chromium at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
    }
    mkdirSync(ARTIFACTS, { recursive: true });
    work = mkdtempSync(join(tmpdir(), 'softphone-'));
    const wav = join(work, `${CLIP}.wav`);
    clipWav(wav);
    // No .env: what `npm start` fills in, on any free port.
    const { env } = fillLocalDefaults({ PORT: '0', LOCAL_OUTBOX_DIR: join(work, 'outbox') }, 3000);
    // The stack and the browser start side by side; if one fails, the other is closed.
    const [started, launched] = await Promise.allSettled([
      startLocalApp(env, { host: '127.0.0.1' }),
      chromium.launchPersistentContext(join(work, 'profile'), {
        executablePath: CHROMIUM,
        headless: true,
        viewport: { width: 1280, height: 900 },
        args: [
          '--no-sandbox',
          '--disable-gpu',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
          '--no-first-run',
          '--autoplay-policy=no-user-gesture-required',
          '--use-fake-ui-for-media-stream',
          '--use-fake-device-for-media-stream',
          `--use-file-for-fake-audio-capture=${wav}`,
        ],
      }),
    ]);
    if (started.status === 'rejected' || launched.status === 'rejected') {
      if (started.status === 'fulfilled') await started.value.close();
      if (launched.status === 'fulfilled') await launched.value.close();
      throw started.status === 'rejected' ? started.reason : (launched as PromiseRejectedResult).reason;
    }
    app = started.value;
    context = launched.value;
    page = context.pages()[0] ?? (await context.newPage());
  }, 30_000);

  afterAll(async () => {
    await context?.close();
    await app?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  // The waits are generous: a browser on a loaded machine is slow, and speed is not under test here.
  it('talks to the simulated agent through the bridge, then shows the call on /calls', async () => {
    const base = app.stack.url;
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    // The link the banner prints: it sets this run's key as a cookie and lands on /phone without it.
    await page.goto(app.pageLink('/phone', base));
    expect(page.url()).toBe(`${base}/phone`);

    // Keyboard only: the Call button takes Enter, and focus moves to Hang up.
    await page.getByRole('button', { name: 'Call', exact: true }).focus();
    await page.keyboard.press('Enter');
    await page.locator('#call-sid', { hasText: /^CA[0-9a-f]{32}$/ }).waitFor({ timeout: 30_000 });
    const callSid = (await page.locator('#call-sid').textContent()) ?? '';
    expect(await page.locator('#engine').textContent()).toContain('elevenlabs');

    // The engine hears the clip, ends the caller's turn, and answers: both turns in the panel.
    await page.locator('#transcript li.caller', { hasText: CALLER_TEXT }).waitFor({ timeout: 30_000 });
    await page.locator('#transcript li.agent', { hasText: AGENT_REPLY }).waitFor({ timeout: 30_000 });
    await page.locator('#tools li', { hasText: 'check_availability' }).waitFor({ timeout: 15_000 });
    await page.locator('#latency li').first().waitFor({ timeout: 15_000 });

    // The reply plays: after the greeting (4 s), a second of the answer.
    const greetingMs = loadClip('agent-greeting').length / 8;
    await waitForPlayed(page, greetingMs + 1000, 30_000);

    // The caller barges in: the engine says so, the bridge sends `clear`, and playback stops at once
    // with the rest of the answer dropped (3 s of it were queued when the interruption was sent).
    const conversation = app.engines.elevenlabs?.conversations[0];
    expect(conversation).toBeDefined();
    conversation?.interrupt();
    await page.locator('#played', { hasText: /^\d+\.\d s$/ }).waitFor({ timeout: 10_000 });
    const stoppedAt = await playedMs(page);
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect((await playedMs(page)) - stoppedAt).toBeLessThanOrEqual(100);
    expect(stoppedAt).toBeLessThan(2 * greetingMs - 200);
    await page.screenshot({ path: join(ARTIFACTS, 'softphone-in-call.png'), fullPage: true });
    const heard = envelope(conversation?.userAudio() ?? Buffer.alloc(0));
    // The loudness contour of the clip is in what the engine heard, far better than another clip's.
    const match = bestMatch(heard, envelope(loadClip(CLIP)));
    const otherMatch = bestMatch(heard, envelope(loadClip(OTHER_CLIP)));
    writeFileSync(join(ARTIFACTS, 'softphone-heard.json'), `${JSON.stringify({ match, otherMatch })}\n`);
    expect(match).toBeGreaterThan(0.6);
    expect(match - otherMatch).toBeGreaterThan(0.2);

    await page.keyboard.press('Enter'); // focus is on Hang up
    await page.locator('#status[data-outcome="completed"]').waitFor({ timeout: 30_000 });
    const record = await app.stack.sessions.get(callSid);
    expect(record?.session.streamingAt).toBeDefined();
    expect(record?.turns.map((t) => t.role).slice(0, 3)).toEqual(['agent', 'caller', 'agent']);
    const latencies = await page.locator('#latency li').allTextContents();
    writeFileSync(
      join(ARTIFACTS, 'softphone-latency.json'),
      `${JSON.stringify({ engine: 'elevenlabs (simulated)', latencies, summary: await page.locator('#latency-summary').textContent() }, null, 2)}\n`,
    );
    await page.screenshot({ path: join(ARTIFACTS, 'softphone-after-call.png'), fullPage: true });

    // The calls page lists it, newest first, with the owner email as sent; one click opens it.
    await page.goto(`${base}/calls`);
    const row = page.locator('tbody tr').first();
    await row.waitFor();
    const cells = await row.locator('td').allTextContents();
    expect(cells[1]).toBe('inbound');
    expect(cells[2]).toBe('elevenlabs');
    expect(cells[3]).toBe('completed');
    expect(Number(cells[5])).toBeGreaterThanOrEqual(3);
    expect(Number(cells[6])).toBeGreaterThanOrEqual(1);
    expect(cells[7]).toMatch(/p50 \d+ ms/);
    expect(cells[8]).not.toMatch(/not sent|none/);
    await page.screenshot({ path: join(ARTIFACTS, 'calls.png'), fullPage: true });

    await row.getByRole('link').click();
    await page.waitForURL(`**/calls/${callSid}`);
    await page.getByRole('heading', { name: 'Owner email' }).waitFor();
    expect(await page.locator('main').textContent()).toContain(CALLER_TEXT);
    await page.screenshot({ path: join(ARTIFACTS, 'call-detail.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
  }, 180_000);
});
