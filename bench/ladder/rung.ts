import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { BRIDGE_NODE_FLAGS } from '../../services/bridge/node-flags';
import type { ChildReport, ChildRequest, ChildUsage } from './bridge-process';
import { BenchCall, BenchEngine, type EngineProtocol, RungStats, startCall } from './calls';
import { startDynamoProcess } from './dynamo-process';
import { Pacer } from './pacer';
import { probeSetup, type SetupProbe } from './setup-probe';
import type { SideScripts } from './side-bundles';

export type Mode = 'ours' | 'relay';

export interface RungOptions {
  calls: number;
  /** New calls per second while the rung ramps up (Twilio calls arrive spread out, not at once). */
  rampPerSecond: number;
  warmupMs: number;
  windowMs: number;
  /** Calls of the setup probe run before the ramp (setup-probe.ts). */
  setupProbeCalls: number;
  /** Directory for `--cpu-prof` profiles of the process under test, if wanted. */
  cpuProfDir?: string;
  /** Directory for heap snapshots of the process under test (idle and with every call live), if wanted. */
  heapSnapshotDir?: string;
  pin: Pinning;
  /** The engine protocol the calls use (the relay speaks it too). */
  protocol: EngineProtocol;
  /** Each side's bundle (`side-bundles.ts`); absent: the TypeScript through tsx (`--from-source`). */
  scripts?: SideScripts;
}

export interface Pinning {
  /** `taskset -c <bridgeCore>` for the process under test; undefined where taskset is missing. */
  bridgeCore?: number;
  generatorCore?: number;
}

export interface Distribution {
  p50: number;
  p99: number;
  max: number;
  samples: number;
}

export interface RungResult {
  mode: Mode;
  calls: number;
  callsLive: number;
  windowSeconds: number;
  caller: Distribution & { sent: number; received: number; lost: number; lostAtStart: number };
  agent: Distribution & { sent: number; received: number; lost: number };
  /** CPU time of the process under test per frame it forwarded (both directions) in the window. */
  cpuMicrosPerFrame: number;
  /** The same in the window's least disturbed one-second slice (robust to other work on the machine). */
  cpuMicrosPerFrameBestSlice: number;
  bridgeCpuPercent: number;
  generatorCpuPercent: number;
  /** p99 of how late the generator's 20 ms pacing fired. */
  generatorLagP99Ms: number;
  /** True when the load generator, not the process under test, was the limit of this rung (its core full). */
  generatorLimited: boolean;
  /** True when the generator's pacing ran late without its core being full: other work on the machine. */
  generatorStarved: boolean;
  rssPerCallKiB: number;
  heapPerCallKiB: number;
  /** Memory outside the JS heap (socket and ArrayBuffer data) per call. */
  externalPerCallKiB: number;
  setup: Distribution;
  /** CPU the process under test spent per call on starting it (webhook, stream, engine connect), from the setup probe. */
  setupCpuMsPerCall: number;
  setupProbe: SetupProbe;
  errors: Record<string, number>;
}

const ROOT = join(__dirname, '..', '..');

/** Pins this process (every thread) to one core and chooses the other for the process under test. */
export function choosePinning(): Pinning {
  const hasTaskset = spawnSync('taskset', ['-V']).status === 0;
  if (!hasTaskset || cpus().length < 2) return {};
  const generatorCore = 1;
  spawnSync('taskset', ['-a', '-pc', String(generatorCore), String(process.pid)]);
  return { bridgeCore: 0, generatorCore };
}

class Child {
  private nextId = 0;
  private readonly pending = new Map<number, (usage: ChildUsage) => void>();

  private constructor(private readonly process: ChildProcess) {
    process.on('message', (report: ChildReport) => {
      if (report.type === 'usage') {
        this.pending.get(report.id)?.(report);
        this.pending.delete(report.id);
      }
    });
  }

  static async start(
    mode: Mode,
    engineApiUrl: string,
    dynamodbEndpoint: string,
    options: RungOptions,
  ): Promise<{ child: Child; url: string }> {
    // Both sides run with the container's Node flags (BRIDGE_NODE_FLAGS): a young generation capped
    // for one side only would measure the flag, not the code.
    const nodeArgs = [...(options.scripts ? [] : ['--import', 'tsx']), '--expose-gc', ...BRIDGE_NODE_FLAGS];
    if (options.cpuProfDir)
      nodeArgs.push(
        '--cpu-prof',
        `--cpu-prof-dir=${options.cpuProfDir}`,
        `--cpu-prof-name=${mode}-${options.calls}.cpuprofile`,
      );
    const script = options.scripts?.[mode] ?? join(__dirname, 'bridge-process.ts');
    const command = options.pin.bridgeCore !== undefined ? 'taskset' : process.execPath;
    const args = [
      ...(options.pin.bridgeCore !== undefined
        ? ['-c', String(options.pin.bridgeCore), process.execPath]
        : []),
      ...nodeArgs,
      script,
      mode,
      engineApiUrl,
      dynamodbEndpoint,
      options.protocol,
    ];
    const child = spawn(command, args, {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    const [report] = (await Promise.race([
      once(child, 'message'),
      once(child, 'exit').then(([code]) => {
        throw new Error(`the ${mode} process exited with ${code} before listening`);
      }),
    ])) as [ChildReport];
    if (report.type !== 'ready') throw new Error(`unexpected first report from the ${mode} process`);
    return { child: new Child(child), url: report.url };
  }

  usage(collect: boolean, heapSnapshot?: string): Promise<ChildUsage> {
    const id = ++this.nextId;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.process.send({ type: 'usage', collect, id, heapSnapshot } satisfies ChildRequest);
    });
  }

  async stop(): Promise<void> {
    const exited = once(this.process, 'exit');
    this.process.send({ type: 'exit' } satisfies ChildRequest);
    await exited;
  }
}

function distribution(values: ArrayLike<number>): Distribution {
  if (values.length === 0) return { p50: Number.NaN, p99: Number.NaN, max: Number.NaN, samples: 0 };
  const sorted = Float64Array.from(values).sort();
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
  return { p50: at(0.5), p99: at(0.99), max: sorted[sorted.length - 1]!, samples: sorted.length };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let callIndex = 0;

/** Opens `count` calls at `perSecond`, each started as Twilio does; resolves when all have started. */
async function ramp(
  count: number,
  perSecond: number,
  target: { baseUrl: string; streamAddress: string },
  engine: BenchEngine,
  pacer: Pacer,
  stats: RungStats,
  protocol: EngineProtocol,
  setupOnly = false,
): Promise<BenchCall[]> {
  const calls: BenchCall[] = [];
  const started: Array<Promise<void>> = [];
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    const due = t0 + (i * 1000) / perSecond;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    const call = new BenchCall(++callIndex, stats, protocol);
    call.setupOnly = setupOnly;
    calls.push(call);
    started.push(
      startCall(call, target, engine, pacer, stats).catch((error: unknown) => {
        stats.callsFailed++;
        stats.error(`call did not start: ${(error as Error).message}`);
      }),
    );
  }
  await Promise.all(started);
  return calls;
}

/** Waits until every started call's engine side is streaming (or a limit passes). */
async function untilLive(calls: BenchCall[], limitMs: number): Promise<number> {
  const deadline = performance.now() + limitMs;
  for (;;) {
    const live = calls.filter((c) => c.agent.active && c.firstCallerFrameAt !== undefined).length;
    if (live === calls.length || performance.now() > deadline) return live;
    await sleep(20);
  }
}

/**
 * One rung: a fresh process under test, a few warm-up calls (so one-time costs do not count per call),
 * then `calls` calls ramped in at real-time pace, a warm-up, the measured window, a drain, hang-ups.
 */
export async function runRung(
  mode: Mode,
  options: RungOptions,
  progress: (line: string) => void,
): Promise<RungResult> {
  const pacer = new Pacer();
  pacer.start();
  const engine = new BenchEngine(pacer);
  const engineApiUrl = await engine.listen();
  const dynamo = await startDynamoProcess(options.pin.generatorCore);
  const { child, url } = await Child.start(mode, engineApiUrl, dynamo.endpoint, options);
  const target = { baseUrl: url, streamAddress: `${url.replace(/^http/, 'ws')}/media-stream` };
  try {
    // Warm-up calls: JIT, lazily loaded modules, pools. Then the idle baseline.
    const warmStats = new RungStats();
    const warm = await ramp(
      Math.min(5, options.calls),
      50,
      target,
      engine,
      pacer,
      warmStats,
      options.protocol,
    );
    await untilLive(warm, 5000);
    await sleep(500);
    for (const call of warm) {
      call.stop();
      call.hangUp();
    }
    await sleep(300);
    pacer.prune();

    const setupProbe = await probeSetup(
      {
        startCalls: (count) =>
          ramp(count, options.rampPerSecond, target, engine, pacer, new RungStats(), options.protocol, true),
        cpuMicros: async () => (await child.usage(false)).cpuMicros,
        forget: (call) => engine.forget(call),
      },
      options.setupProbeCalls,
    );
    pacer.prune();
    const snapshot = (when: string) =>
      options.heapSnapshotDir
        ? join(options.heapSnapshotDir, `${mode}-${options.calls}-${when}.heapsnapshot`)
        : undefined;
    const idle = await child.usage(true, snapshot('idle'));

    const stats = new RungStats();
    progress(
      `${mode.padEnd(5)} ${String(options.calls).padStart(4)} calls: ramping at ${options.rampPerSecond}/s`,
    );
    const calls = await ramp(
      options.calls,
      options.rampPerSecond,
      target,
      engine,
      pacer,
      stats,
      options.protocol,
    );
    const live = await untilLive(calls, 10_000);
    await sleep(options.warmupMs);

    progress(
      `${mode.padEnd(5)} ${String(options.calls).padStart(4)} calls: ${live} live, measuring ${options.windowMs / 1000} s`,
    );
    const before = await child.usage(false);
    const cpuBefore = process.cpuUsage();
    const wallBefore = performance.now();
    stats.measuring = true;
    pacer.recording = true;
    // The window in one-second slices: CPU per frame is also taken per slice, and the lowest slice is
    // reported beside the mean, because on a shared machine other work inflates some slices.
    const slices = Math.max(2, Math.round(options.windowMs / 1000));
    const sliceCosts: number[] = [];
    let mark = { usage: before, frames: 0 };
    for (let i = 0; i < slices; i++) {
      await sleep(options.windowMs / slices);
      const usage = await child.usage(false);
      const frames = stats.callerReceivedInWindow + stats.agentReceivedInWindow;
      if (frames > mark.frames)
        sliceCosts.push((usage.cpuMicros - mark.usage.cpuMicros) / (frames - mark.frames));
      mark = { usage, frames };
    }
    stats.measuring = false;
    pacer.recording = false;
    const wallMs = performance.now() - wallBefore;
    const cpu = process.cpuUsage(cpuBefore);
    const after = await child.usage(false);
    const liveMemory = await child.usage(true, snapshot('live'));

    for (const call of calls) call.stop();
    await sleep(1000); // frames in flight arrive
    for (const call of calls) {
      call.hangUp();
      engine.forget(call);
    }
    await sleep(300);
    pacer.prune();

    const framesInWindow = stats.callerReceivedInWindow + stats.agentReceivedInWindow;
    const bridgeCpuMicros = after.cpuMicros - before.cpuMicros;
    const generatorCpuPercent = ((cpu.user + cpu.system) / 1000 / wallMs) * 100;
    const lag = distribution(pacer.lateness.take());
    const result: RungResult = {
      mode,
      calls: options.calls,
      callsLive: live,
      windowSeconds: wallMs / 1000,
      caller: {
        ...distribution(stats.callerLatency.values()),
        sent: stats.callerSent,
        received: stats.callerReceived,
        lost: stats.callerSent - stats.callerReceived,
        lostAtStart: calls.reduce((sum, call) => sum + call.lostAtStart(), 0),
      },
      agent: {
        ...distribution(stats.agentLatency.values()),
        sent: stats.agentSent,
        received: stats.agentReceived,
        lost: stats.agentSent - stats.agentReceived,
      },
      cpuMicrosPerFrame: framesInWindow > 0 ? bridgeCpuMicros / framesInWindow : Number.NaN,
      cpuMicrosPerFrameBestSlice: sliceCosts.length > 0 ? Math.min(...sliceCosts) : Number.NaN,
      bridgeCpuPercent: (bridgeCpuMicros / 1000 / wallMs) * 100,
      generatorCpuPercent,
      generatorLagP99Ms: lag.p99,
      generatorLimited: generatorCpuPercent >= 90,
      generatorStarved: generatorCpuPercent < 90 && lag.p99 > 10,
      rssPerCallKiB: (liveMemory.rss - idle.rss) / 1024 / options.calls,
      heapPerCallKiB: (liveMemory.heapUsed - idle.heapUsed) / 1024 / options.calls,
      externalPerCallKiB: (liveMemory.external - idle.external) / 1024 / options.calls,
      setup: distribution(stats.setupMs),
      setupCpuMsPerCall: setupProbe.cpuMsPerCall,
      setupProbe,
      errors: Object.fromEntries(stats.errors),
    };
    return result;
  } finally {
    pacer.stop();
    await child.stop();
    await engine.close();
    await dynamo.close();
  }
}
