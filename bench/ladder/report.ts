import type { RungResult } from './rung';

/** The ladder's targets (docs/benchmark.md), read from a finished ladder (never asserted by a timed test). */
export const TARGETS = {
  cpuRatioMax: 1.1, // CPU per forwarded frame, ours / relay (median of the interleaved pairs), at these rungs:
  // The same on the OpenAI path, where ours also decides barge-in on the caller's audio (the
  // caller-speech detector, whose own cost `npm run bench:detector` reports).
  cpuRatioMaxOpenAi: 1.25,
  cpuRatioRungs: [100, 200, 300],
  p99At300Ms: 20, // both directions, with no frame lost
  heapOverRelayKiB: 32,
  setupCpuMsPerCall: 8,
};

/** One ours/relay pair of a rung, run back to back (their order alternates from pair to pair). */
export interface RungPair {
  ours: RungResult;
  relay: RungResult;
  /** CPU per frame, ours / relay, in the best one-second slice of each. */
  ratio: number;
}

export interface Rung {
  calls: number;
  /** The pair whose ratio is the median: the figures the table shows. */
  ours: RungResult;
  relay: RungResult;
  pairs: RungPair[];
  ratio: Spread;
  /** µs per forwarded frame of ours left out of the ratio (the OpenAI path's caller-speech detector). */
  leftOutMicrosPerFrame: number;
  /** Setup CPU ms per call from each pair's setup probe, per side: the median over the pairs and the spread. */
  setupCpuMs: { ours: Spread; relay: Spread };
}

export interface Spread {
  median: number;
  min: number;
  max: number;
}

function spreadOf(values: number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    median: sorted[Math.floor((sorted.length - 1) / 2)] ?? Number.NaN,
    min: sorted[0] ?? Number.NaN,
    max: sorted.at(-1) ?? Number.NaN,
  };
}

/**
 * A rung from its interleaved pairs: the median pair stands for it, with the spread of the ratios.
 * `leftOutPerCallerFrame`: µs of ours' CPU per caller frame the ratio does not count (the OpenAI
 * path's caller-speech detector, which has its own budget), spread over all the frames forwarded.
 */
export function rungOf(
  calls: number,
  pairs: Array<{ ours: RungResult; relay: RungResult }>,
  leftOutPerCallerFrame = 0,
): Rung {
  const leftOut = (ours: RungResult) =>
    (leftOutPerCallerFrame * ours.caller.samples) / Math.max(1, ours.caller.samples + ours.agent.samples);
  const rated = pairs
    .map((pair) => ({
      ...pair,
      ratio:
        (pair.ours.cpuMicrosPerFrameBestSlice - leftOut(pair.ours)) / pair.relay.cpuMicrosPerFrameBestSlice,
    }))
    .sort((a, b) => a.ratio - b.ratio);
  const middle = rated[Math.floor((rated.length - 1) / 2)]!;
  return {
    calls,
    ours: middle.ours,
    relay: middle.relay,
    pairs: rated,
    ratio: { median: middle.ratio, min: rated[0]!.ratio, max: rated.at(-1)!.ratio },
    leftOutMicrosPerFrame: leftOut(middle.ours),
    setupCpuMs: {
      ours: spreadOf(pairs.map((pair) => pair.ours.setupCpuMsPerCall)),
      relay: spreadOf(pairs.map((pair) => pair.relay.setupCpuMsPerCall)),
    },
  };
}

export interface TargetCheck {
  name: string;
  value: string;
  target: string;
  met: boolean;
}

const f = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
const spreadText = ({ median, min, max }: Spread) => `${f(median, 2)} (${f(min, 2)}–${f(max, 2)})`;

export function checkTargets(rungs: Rung[], path: 'elevenlabs' | 'openai' = 'elevenlabs'): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const ratioMax = path === 'openai' ? TARGETS.cpuRatioMaxOpenAi : TARGETS.cpuRatioMax;
  for (const rung of rungs) {
    const { ours, relay, calls } = rung;
    if (TARGETS.cpuRatioRungs.includes(calls)) {
      const less = rung.leftOutMicrosPerFrame > 0 ? ' less the caller-speech detector' : '';
      checks.push({
        name: `CPU per frame at ${calls} calls, ours${less} / relay (median of ${rung.pairs.length} pairs)`,
        value: `${f(rung.ratio.median, 2)}× (${f(rung.ratio.min, 2)}–${f(rung.ratio.max, 2)})`,
        target: `≤ ${ratioMax}×`,
        met: rung.ratio.median <= ratioMax,
      });
    }
    const p99 = Math.max(ours.caller.p99, ours.agent.p99);
    const lost = ours.caller.lost + ours.agent.lost;
    if (calls === 300) {
      checks.push({
        name: '300 calls: p99 both ways, frames lost',
        value: `${f(p99)} ms, ${lost} lost`,
        target: `≤ ${TARGETS.p99At300Ms} ms, 0 lost`,
        met: p99 <= TARGETS.p99At300Ms && lost === 0,
      });
    }
    checks.push({
      name: `${calls} calls: heap per call, ours − relay`,
      value: `${f(ours.heapPerCallKiB - relay.heapPerCallKiB)} KiB`,
      target: `≤ ${TARGETS.heapOverRelayKiB} KiB`,
      met: ours.heapPerCallKiB - relay.heapPerCallKiB <= TARGETS.heapOverRelayKiB,
    });
    checks.push({
      name: `${calls} calls: caller frames lost at start`,
      value: String(ours.caller.lostAtStart),
      target: '0',
      met: ours.caller.lostAtStart === 0,
    });
    const setup = rung.setupCpuMs.ours;
    checks.push({
      name: `${calls} calls: setup CPU per call (probe, median of ${rung.pairs.length} pairs)`,
      value: `${f(setup.median, 2)} ms (${f(setup.min, 2)}–${f(setup.max, 2)})`,
      target: `≤ ${TARGETS.setupCpuMsPerCall} ms`,
      met: setup.median <= TARGETS.setupCpuMsPerCall,
    });
  }
  return checks;
}

/** The ladder as a Markdown table (docs/benchmark.md shows it). */
export function ladderTable(rungs: Rung[]): string {
  const header = [
    'calls',
    'CPU ratio, median of pairs (spread)',
    'CPU µs/frame ours / relay (×), window mean',
    'best 1 s slice',
    'p50 / p99 / max ms caller→engine, ours',
    'p50 / p99 / max ms engine→caller, ours',
    'p99 ms both ways, relay',
    'lost ours (at start) / relay',
    'RSS KiB/call ours / relay',
    'heap KiB/call ours / relay',
    'setup p99 ms ours / relay',
    'setup CPU ms/call (probe) ours / relay, median of pairs (spread)',
    'bridge core % ours / relay',
    'generator core % / lag p99 ms',
  ];
  const rows = rungs.map(({ calls, ours, relay, ratio, pairs, setupCpuMs }) => {
    const limited =
      ours.generatorLimited || relay.generatorLimited
        ? ' (generator-limited)'
        : ours.generatorStarved || relay.generatorStarved
          ? ' (generator late: machine busy)'
          : '';
    const live = Math.min(ours.callsLive, relay.callsLive);
    return [
      live < calls ? `${calls} (ours ${ours.callsLive} / relay ${relay.callsLive} live)` : String(calls),
      `${f(ratio.median, 2)}× (${f(ratio.min, 2)}–${f(ratio.max, 2)}, ${pairs.length} pairs)`,
      `${f(ours.cpuMicrosPerFrame)} / ${f(relay.cpuMicrosPerFrame)} (${f(ours.cpuMicrosPerFrame / relay.cpuMicrosPerFrame, 2)}×)`,
      `${f(ours.cpuMicrosPerFrameBestSlice)} / ${f(relay.cpuMicrosPerFrameBestSlice)} (${f(ours.cpuMicrosPerFrameBestSlice / relay.cpuMicrosPerFrameBestSlice, 2)}×)`,
      `${f(ours.caller.p50)} / ${f(ours.caller.p99)} / ${f(ours.caller.max)}`,
      `${f(ours.agent.p50)} / ${f(ours.agent.p99)} / ${f(ours.agent.max)}`,
      `${f(relay.caller.p99)} / ${f(relay.agent.p99)}`,
      `${ours.caller.lost + ours.agent.lost} (${ours.caller.lostAtStart}) / ${relay.caller.lost + relay.agent.lost}`,
      `${f(ours.rssPerCallKiB, 0)} / ${f(relay.rssPerCallKiB, 0)}`,
      `${f(ours.heapPerCallKiB, 0)} / ${f(relay.heapPerCallKiB, 0)}`,
      `${f(ours.setup.p99)} / ${f(relay.setup.p99)}`,
      `${spreadText(setupCpuMs.ours)} / ${spreadText(setupCpuMs.relay)}`,
      `${f(ours.bridgeCpuPercent, 0)} / ${f(relay.bridgeCpuPercent, 0)}`,
      `${f(Math.max(ours.generatorCpuPercent, relay.generatorCpuPercent), 0)} / ${f(Math.max(ours.generatorLagP99Ms, relay.generatorLagP99Ms))}${limited}`,
    ];
  });
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map((_, i) => (i === 0 ? '--:' : '--:'))), ...rows.map(line)].join('\n');
}

/** Two panels: p99 added latency (both directions) and CPU µs per frame, against calls. */
export function ladderSvg(rungs: Rung[], title: string): string {
  const width = 900;
  const height = 340;
  const panel = { w: 380, h: 230, top: 60 };
  const lefts = [60, 510];
  const xs = rungs.map((r) => r.calls);
  const xMax = Math.max(...xs, 1);
  const series = [
    {
      title: 'p99 added latency (ms)',
      lines: [
        { name: 'ours caller→engine', color: '#d62728', values: rungs.map((r) => r.ours.caller.p99) },
        { name: 'ours engine→caller', color: '#ff7f0e', values: rungs.map((r) => r.ours.agent.p99) },
        { name: 'relay caller→engine', color: '#1f77b4', values: rungs.map((r) => r.relay.caller.p99) },
        { name: 'relay engine→caller', color: '#17becf', values: rungs.map((r) => r.relay.agent.p99) },
      ],
    },
    {
      title: 'bridge CPU per forwarded frame (µs)',
      lines: [
        { name: 'ours, window mean', color: '#d62728', values: rungs.map((r) => r.ours.cpuMicrosPerFrame) },
        { name: 'relay, window mean', color: '#1f77b4', values: rungs.map((r) => r.relay.cpuMicrosPerFrame) },
        {
          name: 'ours, best 1 s slice',
          color: '#ff9896',
          values: rungs.map((r) => r.ours.cpuMicrosPerFrameBestSlice),
        },
        {
          name: 'relay, best 1 s slice',
          color: '#aec7e8',
          values: rungs.map((r) => r.relay.cpuMicrosPerFrameBestSlice),
        },
      ],
    },
  ];
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="14">${escapeXml(title)}</text>`,
  ];
  series.forEach((s, i) => {
    const left = lefts[i]!;
    const all = s.lines.flatMap((l) => l.values).filter(Number.isFinite);
    const yMax = niceMax(Math.max(...all, 1));
    const x = (calls: number) => left + (calls / xMax) * panel.w;
    const y = (v: number) => panel.top + panel.h - (v / yMax) * panel.h;
    parts.push(
      `<text x="${left + panel.w / 2}" y="${panel.top - 22}" text-anchor="middle" font-size="12">${s.title}</text>`,
      `<line x1="${left}" y1="${panel.top + panel.h}" x2="${left + panel.w}" y2="${panel.top + panel.h}" stroke="#333"/>`,
      `<line x1="${left}" y1="${panel.top}" x2="${left}" y2="${panel.top + panel.h}" stroke="#333"/>`,
    );
    for (let k = 0; k <= 4; k++) {
      const v = (yMax * k) / 4;
      parts.push(
        `<text x="${left - 6}" y="${y(v) + 4}" text-anchor="end">${f(v, v < 10 ? 1 : 0)}</text>`,
        `<line x1="${left}" y1="${y(v)}" x2="${left + panel.w}" y2="${y(v)}" stroke="#eee"/>`,
      );
    }
    for (const calls of xs) {
      parts.push(
        `<text x="${x(calls)}" y="${panel.top + panel.h + 16}" text-anchor="middle">${calls}</text>`,
      );
    }
    parts.push(
      `<text x="${left + panel.w / 2}" y="${panel.top + panel.h + 32}" text-anchor="middle">concurrent calls</text>`,
    );
    s.lines.forEach((l, j) => {
      const points = l.values
        .map((v, k) => (Number.isFinite(v) ? `${x(xs[k]!).toFixed(1)},${y(v).toFixed(1)}` : ''))
        .filter(Boolean)
        .join(' ');
      parts.push(`<polyline points="${points}" fill="none" stroke="${l.color}" stroke-width="2"/>`);
      for (const point of points.split(' ').filter(Boolean)) {
        const [px, py] = point.split(',');
        parts.push(`<circle cx="${px}" cy="${py}" r="3" fill="${l.color}"/>`);
      }
      parts.push(
        `<rect x="${left + 8}" y="${panel.top + 6 + j * 14}" width="10" height="3" fill="${l.color}"/>`,
        `<text x="${left + 22}" y="${panel.top + 10 + j * 14}">${l.name}</text>`,
      );
    });
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

function niceMax(v: number): number {
  const magnitude = 10 ** Math.floor(Math.log10(v));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * magnitude >= v) return step * magnitude;
  return 10 * magnitude;
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c] ?? c);
}

/** Share of a vCPU the bridge may use at the scaling target: headroom for bursts, GC, call setup and TLS. */
export const SIZING_UTILISATION = 0.6;

export interface Sizing {
  /** CPU the bridge spends per call per second of audio (50 frames each way), in µs. */
  cpuMicrosPerCallSecond: number;
  callsPerQuarterVcpu: number;
  callsPerHalfVcpu: number;
}

/**
 * Calls a Fargate task holds at the latency target, from the measured CPU per frame (the median of
 * the best one-second slices of the rungs from 100 calls up): a call costs 100 frames a second, and a
 * task is kept at SIZING_UTILISATION of its vCPU share, since Fargate enforces the share as a CFS quota
 * per 100 ms period and a saturated quota delays every frame behind it.
 */
export function sizing(rungs: Array<Pick<Rung, 'calls' | 'ours'>>): Sizing | undefined {
  const costs = rungs
    .filter((r) => r.calls >= 100)
    .map((r) => r.ours.cpuMicrosPerFrameBestSlice)
    .filter(Number.isFinite)
    .sort((a, b) => a - b);
  if (costs.length === 0) return undefined;
  const perFrame = costs[Math.floor(costs.length / 2)]!;
  const cpuMicrosPerCallSecond = perFrame * 100;
  const callsPerVcpu = (SIZING_UTILISATION * 1_000_000) / cpuMicrosPerCallSecond;
  return {
    cpuMicrosPerCallSecond,
    callsPerQuarterVcpu: Math.floor(callsPerVcpu / 4),
    callsPerHalfVcpu: Math.floor(callsPerVcpu / 2),
  };
}
