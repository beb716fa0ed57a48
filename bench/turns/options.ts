import { parseArgs } from 'node:util';
import * as z from 'zod';
import { parsedOptions, stringOptions } from '../cli-options';
import { CALLER_LEVELS_DBFS, CALLER_VOICE_IDS, type CallerVoice } from './corpus';

/** The cases of `npm run bench:turns` (bench/turns/run.ts). */
export const CASE_KINDS = ['interruption', 'question', 'pause', 'backchannel', 'tv', 'frozen'] as const;
export type CaseKind = (typeof CASE_KINDS)[number];

export interface TurnBenchOptions {
  quick: boolean;
  voices: CallerVoice[];
  levels: number[];
  cases: CaseKind[];
  /** Backchannels per voice and level (rotating over the six). */
  backchannels: number;
  /** Calls run at the same time (each case is one call). */
  concurrency: number;
  /** Frozen-engine calls. */
  frozenRuns: number;
  /** How many times faster than real time the simulated engine streams its answers. */
  audioSpeedup: number;
  json?: string;
  corpusDir?: string;
}

const list = <T extends string>(values: readonly [T, ...T[]], what: string) =>
  z
    .string()
    .transform((text) => text.split(',').map((v) => v.trim()))
    .pipe(z.array(z.enum(values, { error: `${what}: one of ${values.join(', ')}` })).min(1));

const schema = z.object({
  voices: list(CALLER_VOICE_IDS as [CallerVoice, ...CallerVoice[]], 'voice'),
  levels: z
    .string()
    .regex(/^-?\d+(,-?\d+)*$/, 'a comma-separated list of dBFS levels, e.g. -20,-36')
    .transform((text) => text.split(',').map((v) => -Math.abs(Number(v))))
    .pipe(z.array(z.number().min(-60, 'not below -60 dBFS').max(-6, 'not above -6 dBFS')).min(1)),
  cases: list(CASE_KINDS, 'case'),
  backchannels: z.coerce.number().int().min(0).max(6),
  concurrency: z.coerce.number().int().min(1).max(8),
  frozen: z.coerce.number().int().min(0).max(20),
  speedup: z.coerce.number().min(1).max(50),
});

/** Throws an Error whose message says which option is wrong and why. */
export function parseTurnBenchOptions(argv: string[]): TurnBenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      ...stringOptions(
        'voices',
        'levels',
        'cases',
        'backchannels',
        'concurrency',
        'frozen',
        'speedup',
        'json',
        'corpus',
      ),
    },
  });
  const quick = values.quick === true;
  const data = parsedOptions(schema, {
    voices: values.voices ?? (quick ? 'flite-slt' : CALLER_VOICE_IDS.join(',')),
    levels: values.levels ?? (quick ? '-28' : CALLER_LEVELS_DBFS.join(',')),
    cases: values.cases ?? CASE_KINDS.join(','),
    backchannels: values.backchannels ?? (quick ? 1 : 2),
    concurrency: values.concurrency ?? (quick ? 3 : 3),
    frozen: values.frozen ?? (quick ? 1 : 3),
    speedup: values.speedup ?? 3,
  });
  return {
    quick,
    voices: data.voices,
    levels: data.levels,
    cases: data.cases,
    backchannels: data.backchannels,
    concurrency: data.concurrency,
    frozenRuns: data.frozen,
    audioSpeedup: data.speedup,
    json: values.json,
    corpusDir: values.corpus,
  };
}
