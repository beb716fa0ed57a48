import type { CaseResult } from './cases';
import { distribution } from './timeline';

export interface TargetCheck {
  name: string;
  value: string;
  target: string;
  met: boolean;
}

const ms = (n: number | null | undefined) => (n === null || n === undefined ? '–' : `${Math.round(n)}`);
const dist = (values: number[]) => {
  const d = distribution(values);
  return d.n === 0 ? '–' : `${ms(d.median)} / ${ms(d.max)}`;
};
const share = (k: number, n: number) => (n === 0 ? '–' : `${k}/${n}`);
const ok = (results: CaseResult[]) => results.filter((r) => !r.error);

/** Interruptions that the agent stopped for (a `clear`), not ones it merely finished talking over. */
const stopped = (r: CaseResult) => r.stoppedBy === 'clear' && r.stopMs !== null && r.stopMs !== undefined;

/** The case kinds played at each level, in the table's order: the row's label and what the caller heard. */
const PER_LEVEL_ROWS: Array<{ kind: string; label: string; heard: (cases: CaseResult[]) => string }> = [
  {
    kind: 'interruption',
    label: 'interruption over the agent',
    heard: (cases) => {
      const stops = cases.filter(stopped);
      return `stopped ${share(stops.length, cases.length)}; onset → stop median / max ${dist(stops.map((r) => r.stopMs!))} ms; answered ${share(cases.filter((r) => r.answered).length, cases.length)}`;
    },
  },
  {
    kind: 'question',
    label: '"How much is it?" over the last words',
    heard: (cases) => {
      const answered = cases.filter((r) => r.answered);
      return `answered ${share(answered.length, cases.length)} (swallowed ${cases.length - answered.length}); end of speech → answer median / max ${dist(answered.map((r) => r.answerMs!))} ms`;
    },
  },
  {
    kind: 'pause',
    label: '"I run a … plumbing company" (0.9 s pause)',
    heard: (cases) =>
      `talked over median / max ${dist(cases.map((r) => r.talkOverMs ?? 0))} ms; answered once ${share(cases.filter((r) => r.answers === 1 && r.answered).length, cases.length)} (answers: ${cases.map((r) => r.answers).join(' ')})`,
  },
  {
    kind: 'backchannel',
    label: 'backchannel ("uh huh", "okay", "I see", …)',
    heard: (cases) => {
      const cut = cases.filter((r) => r.cut);
      return `cut the answer ${share(cut.length, cases.length)} (${Math.round((100 * cut.length) / cases.length)} %); paused and resumed ${cases.filter((r) => r.resumed).length}`;
    },
  },
];

/** One Markdown row per case kind and level. */
export function resultsTable(results: CaseResult[]): string {
  const rows: string[][] = [];
  const levels = [
    ...new Set(results.filter((r) => r.kind !== 'tv' && r.kind !== 'frozen').map((r) => r.levelDbfs)),
  ];
  for (const level of levels.sort((a, b) => b - a)) {
    for (const { kind, label, heard } of PER_LEVEL_ROWS) {
      const cases = ok(results.filter((r) => r.kind === kind && r.levelDbfs === level));
      if (cases.length > 0) rows.push([label, `${level}`, `${cases.length}`, heard(cases)]);
    }
  }
  const tv = ok(results.filter((r) => r.kind === 'tv'));
  if (tv.length > 0) {
    rows.push([
      'a TV in the room',
      `${tv[0]!.levelDbfs}`,
      `${tv.length}`,
      `cut the answer ${share(tv.filter((r) => r.cut).length, tv.length)}`,
    ]);
  }
  const frozen = ok(results.filter((r) => r.kind === 'frozen'));
  if (frozen.length > 0) {
    const failed = frozen.filter((r) => r.failoverMs !== null && r.failoverMs !== undefined);
    const heard = frozen.filter((r) => r.heardAgainMs !== null && r.heardAgainMs !== undefined);
    rows.push([
      'engine hangs mid-call (socket open, nothing sent)',
      '',
      `${frozen.length}`,
      `failed over ${share(failed.length, frozen.length)}, hang → other engine median / max ${dist(failed.map((r) => r.failoverMs!))} ms; agent heard again ${share(heard.length, frozen.length)}, median / max ${dist(heard.map((r) => r.heardAgainMs!))} ms`,
    ]);
  }
  const errors = results.filter((r) => r.error);
  if (errors.length > 0) {
    rows.push([
      'cases that failed to run',
      '',
      `${errors.length}`,
      errors.map((r) => `${r.id}: ${r.error}`).join('; '),
    ]);
  }
  const header = ['case', 'dBFS', 'n', 'what the caller heard'];
  return [
    `| ${header.join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

/** The targets (docs/turn-taking-bench.md), each read from the results; a target with no case run is left out. */
export function checkTargets(results: CaseResult[]): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const of = (kind: string) => ok(results.filter((r) => r.kind === kind));
  const interruptions = of('interruption');
  if (interruptions.length > 0) {
    const stops = interruptions.map((r) => (stopped(r) ? r.stopMs! : Number.POSITIVE_INFINITY));
    const d = distribution(stops);
    const levels = [...new Set(interruptions.map((r) => r.levelDbfs))].sort((a, b) => b - a);
    checks.push({
      name: `every interruption stops the agent within 1000 ms of speech onset (${levels.join(', ')} dBFS)`,
      value: `${interruptions.filter((r) => stopped(r) && r.stopMs! <= 1000).length}/${interruptions.length}, max ${Number.isFinite(d.max ?? 0) ? ms(d.max) : 'never'}`,
      target: 'all ≤ 1000 ms',
      met: stops.every((s) => s <= 1000),
    });
    checks.push({
      name: 'interruption onset → stop, median',
      value: `${Number.isFinite(d.median ?? 0) ? ms(d.median) : 'never'} ms`,
      target: '≤ 700 ms',
      met: (d.median ?? Number.POSITIVE_INFINITY) <= 700,
    });
    for (const level of levels) {
      const at = interruptions.filter((r) => r.levelDbfs === level);
      const atStops = at.map((r) => (stopped(r) ? r.stopMs! : Number.POSITIVE_INFINITY));
      checks.push({
        name: `  at ${level} dBFS: stopped within 1000 ms, median ≤ 700 ms`,
        value: `${atStops.filter((s) => s <= 1000).length}/${at.length}, median ${Number.isFinite(distribution(atStops).median ?? 0) ? ms(distribution(atStops).median) : 'never'}`,
        target: 'all; ≤ 700 ms',
        met: atStops.every((s) => s <= 1000) && (distribution(atStops).median ?? 0) <= 700,
      });
    }
    checks.push({
      name: 'every interruption is answered',
      value: share(interruptions.filter((r) => r.answered).length, interruptions.length),
      target: 'all',
      met: interruptions.every((r) => r.answered),
    });
  }
  const backchannels = of('backchannel');
  if (backchannels.length > 0) {
    const cut = backchannels.filter((r) => r.cut).length;
    checks.push({
      name: 'backchannels that cut the answer (a pause that resumes is not a cut)',
      value: `${cut}/${backchannels.length} (${Math.round((100 * cut) / backchannels.length)} %)`,
      target: '≤ 10 %',
      met: cut <= 0.1 * backchannels.length,
    });
  }
  const questions = of('question');
  if (questions.length > 0) {
    const swallowed = questions.filter((r) => !r.answered).length;
    checks.push({
      name: 'swallowed questions ("How much is it?" over the last words, never answered)',
      value: `${swallowed}/${questions.length}`,
      target: '0',
      met: swallowed === 0,
    });
  }
  const pauses = of('pause');
  if (pauses.length > 0) {
    const talkOver = distribution(pauses.map((r) => r.talkOverMs ?? 0));
    checks.push({
      name: 'thinking pause: agent audio over the caller',
      value: `median ${ms(talkOver.median)}, max ${ms(talkOver.max)} ms`,
      target: '≤ 300 ms',
      met: (talkOver.max ?? 0) <= 300,
    });
    checks.push({
      name: 'thinking pause: answered exactly once',
      value: share(pauses.filter((r) => r.answered && r.answers === 1).length, pauses.length),
      target: 'all',
      met: pauses.every((r) => r.answered && r.answers === 1),
    });
  }
  const tv = of('tv');
  if (tv.length > 0) {
    checks.push({
      name: `a TV at ${tv[0]!.levelDbfs} dBFS cuts the answer`,
      value: share(tv.filter((r) => r.cut).length, tv.length),
      target: 'never',
      met: tv.every((r) => !r.cut),
    });
  }
  const frozen = of('frozen');
  if (frozen.length > 0) {
    const worst = (values: Array<number | null | undefined>) =>
      values.some((v) => v === null || v === undefined)
        ? Number.POSITIVE_INFINITY
        : Math.max(...(values as number[]));
    const failover = worst(frozen.map((r) => r.failoverMs));
    const heard = worst(frozen.map((r) => r.heardAgainMs));
    checks.push({
      name: 'frozen engine failed over (hang → other engine)',
      value: Number.isFinite(failover) ? `max ${ms(failover)} ms` : 'not within 20 s',
      target: '≤ 8000 ms',
      met: failover <= 8000,
    });
    checks.push({
      name: 'frozen engine: the caller hears the agent (hang → audio)',
      value: Number.isFinite(heard) ? `max ${ms(heard)} ms` : 'not within 20 s',
      target: '≤ 10000 ms',
      met: heard <= 10_000,
    });
  }
  const errors = results.filter((r) => r.error).length;
  if (errors > 0) {
    checks.push({ name: 'cases that failed to run', value: `${errors}`, target: '0', met: false });
  }
  return checks;
}

export function targetLines(checks: TargetCheck[]): string {
  const width = Math.max(...checks.map((c) => c.name.length), 10);
  return checks
    .map(
      (c) =>
        `${c.met ? 'PASS' : 'MISS'}  ${c.name.padEnd(width)}  ${c.value.padStart(22)}  (target ${c.target})`,
    )
    .join('\n');
}
