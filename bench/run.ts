/**
 * `npm run bench`: the bridge measured side by side with a bare `ws` relay, as a ladder of concurrent
 * calls at real-time pace (bench/ladder/), then failover and webhook latency (bench/extras.ts).
 * Prints progress, then a table; writes a JSON report and an SVG chart; exits 1 if a target is missed.
 *
 *   npm run bench                        the full ladder: 50, 100, 200, 300 calls, 10 s windows
 *   npm run bench -- --quick             a smoke run in seconds (CI): 10 calls, no targets asserted
 *   npm run bench -- --rungs 100,300     chosen rungs;  --window 20  seconds per window
 *   npm run bench -- --pairs 5           interleaved ours/relay pairs per rung (default 3; quick: 1)
 *   npm run bench -- --path openai       calls on the OpenAI protocol (marks echoed), against a relay speaking it too
 *   npm run bench -- --only ours         one side only; --cpu-prof  writes .cpuprofile files of each rung
 *   npm run bench -- --heap-snapshot     heap snapshots of the process under test, idle and with every call live
 *   npm run bench -- --ramp 20           new calls per second while a rung fills (default 20)
 *   npm run bench -- --setup-calls 20    calls of the setup probe before each ramp (default 20; quick: 5)
 *   npm run bench -- --no-pin            no taskset pinning (a machine shared with other work)
 *   npm run bench -- --from-source       each side's TypeScript through tsx, not bundled as the bridge image is (profiles that name functions)
 *   npm run bench -- --out <dir>         where the report goes (default bench/results, quick: a temp dir)
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { detectorMicrosPerCallerFrame } from './detector-cost';
import { runExtras } from './extras';
import { checkTargets, ladderSvg, ladderTable, type Rung, rungOf, sizing } from './ladder/report';
import { choosePinning, type Mode, type RungResult, runRung } from './ladder/rung';
import { buildSideBundles } from './ladder/side-bundles';
import { type BenchOptions, parseBenchOptions } from './options';

let options: BenchOptions;
try {
  options = parseBenchOptions(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`npm run bench: ${(error as Error).message}\n`);
  process.exit(2);
}
const { quick, windowMs } = options;
// The relay speaks the path's protocol too, so each path has its own ratio.
const modes: Mode[] = options.only ? [options.only] : ['ours', 'relay'];
const outDir =
  options.out ?? (quick ? mkdtempSync(join(tmpdir(), 'bolt-bench-')) : join(__dirname, 'results'));

const progress = (line: string) =>
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);

async function main(): Promise<void> {
  mkdirSync(outDir, { recursive: true });
  const pin = options.pin ? choosePinning() : {};
  const machine = `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'unknown CPU'}, node ${process.version}`;
  const loadBefore = loadavg();
  progress(
    `${machine}; ${pin.bridgeCore !== undefined ? `process under test on core ${pin.bridgeCore}, generator on core ${pin.generatorCore}` : 'taskset unavailable: no pinning'}; load average ${loadBefore.map((l) => l.toFixed(2)).join(' ')}`,
  );
  const cpuProfDir = options.cpuProf ? join(outDir, 'profiles') : undefined;
  if (cpuProfDir) mkdirSync(cpuProfDir, { recursive: true });
  const heapSnapshotDir = options.heapSnapshot ? join(outDir, 'heap') : undefined;
  if (heapSnapshotDir) mkdirSync(heapSnapshotDir, { recursive: true });
  const scripts = options.fromSource
    ? undefined
    : await buildSideBundles(join(__dirname, '..', '.local', 'bench-sides'));
  progress(
    scripts
      ? 'both sides bundled as the bridge image is (--from-source: through tsx)'
      : 'both sides through tsx',
  );

  // Each rung as interleaved ours/relay pairs (ours first, then relay first, …): the machine's speed
  // drifts between runs, and a ratio taken within a pair, then the median over pairs, cancels most of it.
  const rungs: Array<{ calls: number; pairs: Array<Partial<Record<Mode, RungResult>>> }> = [];
  for (const calls of options.rungs) {
    const pairs: Array<Partial<Record<Mode, RungResult>>> = [];
    for (let p = 0; p < options.pairs; p++) {
      const pair: Partial<Record<Mode, RungResult>> = {};
      for (const mode of p % 2 === 0 ? modes : [...modes].reverse()) {
        const result = await runRung(
          mode,
          {
            calls,
            rampPerSecond: options.rampPerSecond,
            warmupMs: quick ? 500 : 2000,
            windowMs,
            setupProbeCalls: options.setupCalls,
            cpuProfDir,
            heapSnapshotDir,
            pin,
            protocol: options.path,
            scripts,
          },
          progress,
        );
        pair[mode] = result;
        progress(
          `${mode.padEnd(5)} ${String(calls).padStart(4)} calls (pair ${p + 1}/${options.pairs}): ${result.cpuMicrosPerFrame.toFixed(1)} µs/frame, p99 ${result.caller.p99.toFixed(1)} / ${result.agent.p99.toFixed(1)} ms, lost ${result.caller.lost + result.agent.lost}, RSS ${result.rssPerCallKiB.toFixed(0)} KiB/call, setup p99 ${result.setup.p99.toFixed(1)} ms${result.generatorLimited ? ', GENERATOR-LIMITED' : result.generatorStarved ? ', generator late (machine busy)' : ''}`,
        );
      }
      pairs.push(pair);
    }
    rungs.push({ calls, pairs });
  }
  const loadAfter = loadavg();
  // On the OpenAI path ours also decides barge-in on the caller's audio: the detector that adds has
  // a budget of its own (`npm run bench:detector`), measured here and left out of the CPU ratio.
  const detectorPerCallerFrame = options.path === 'openai' ? detectorMicrosPerCallerFrame() : 0;
  if (options.path === 'openai') {
    progress(
      `caller-speech detector: ${detectorPerCallerFrame.toFixed(3)} µs of CPU per caller frame (${(detectorPerCallerFrame * 50).toFixed(1)} per call-second), left out of the CPU ratio`,
    );
  }
  const complete: Rung[] = rungs.flatMap(({ calls, pairs }) => {
    const whole = pairs.filter(
      (pair): pair is Record<Mode, RungResult> => pair.ours !== undefined && pair.relay !== undefined,
    );
    return whole.length > 0 ? [rungOf(calls, whole, detectorPerCallerFrame)] : [];
  });
  const date = new Date().toISOString();
  const title = `Bolt Voice bridge vs bare relay (${options.path}), ${date.slice(0, 16).replace('T', ' ')} UTC, ${machine}`;

  const extras = options.extras ? await runExtras() : [];
  const checks = quick ? [] : checkTargets(complete, options.path);
  const oursOnly = rungs.flatMap(({ calls, pairs }) => {
    const ours = pairs.map((pair) => pair.ours).filter((r): r is RungResult => r !== undefined);
    return ours.length > 0 ? [{ calls, ours: ours[Math.floor((ours.length - 1) / 2)]! }] : [];
  });
  const fargate = sizing(complete.length > 0 ? complete : oursOnly);
  const report = {
    date,
    machine,
    pinning: pin,
    loadAverage: { before: loadBefore, after: loadAfter },
    profile: quick ? 'quick' : 'full',
    path: options.path,
    windowSeconds: windowMs / 1000,
    detectorMicrosPerCallerFrame: detectorPerCallerFrame,
    rungs,
    targets: checks,
    fargateSizing: fargate,
    extras,
  };
  writeFileSync(join(outDir, 'ladder.json'), `${JSON.stringify(report, null, 2)}\n`);
  if (complete.length > 0) {
    writeFileSync(join(outDir, 'ladder.svg'), ladderSvg(complete, title));
    writeFileSync(
      join(outDir, 'ladder.md'),
      `${title}; load average ${loadBefore[0]?.toFixed(2)} → ${loadAfter[0]?.toFixed(2)}\n\n${ladderTable(complete)}\n`,
    );
  }

  process.stdout.write(
    `\n${title}\nload average (1 min) ${loadBefore[0]?.toFixed(2)} before, ${loadAfter[0]?.toFixed(2)} after\n\n`,
  );
  if (complete.length > 0) process.stdout.write(`${ladderTable(complete)}\n\n`);
  if (detectorPerCallerFrame > 0) {
    process.stdout.write(
      `Caller-speech detector (decide over measure, npm run bench:detector): ${detectorPerCallerFrame.toFixed(3)} µs of CPU per caller frame, left out of the CPU ratio above\n\n`,
    );
  }
  const rows = [...checks, ...extras];
  if (rows.length > 0) {
    const width = Math.max(...rows.map((r) => r.name.length));
    for (const r of rows) {
      process.stdout.write(
        `${r.name.padEnd(width)}  ${r.value.padStart(20)}  ${r.target.padEnd(18)} ${r.target ? (r.met ? 'ok' : 'MISSED') : ''}\n`,
      );
    }
  }
  if (fargate) {
    process.stdout.write(
      `\nFargate sizing: ${fargate.cpuMicrosPerCallSecond.toFixed(0)} µs of CPU per call-second → ${fargate.callsPerQuarterVcpu} calls per 0.25 vCPU, ${fargate.callsPerHalfVcpu} per 0.5 vCPU (at 60 % of the share)\n`,
    );
  }
  process.stdout.write(
    `\nReport: ${join(outDir, 'ladder.json')}${complete.length > 0 ? `, ${join(outDir, 'ladder.svg')}` : ''}\n`,
  );
  const missed = rows.filter((r) => r.target && !r.met).length;
  if (quick) {
    process.stdout.write('Quick profile: a smoke run, no target asserted.\n');
    process.exit(0);
  }
  process.stdout.write(`${missed === 0 ? 'All targets met.' : `${missed} target(s) missed.`}\n`);
  process.exit(missed === 0 ? 0 : 1);
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
