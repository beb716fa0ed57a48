import { parseArgs } from 'node:util';
import * as z from 'zod';
import { parsedOptions, stringOptions } from './cli-options';

/** The command line of `npm run bench` (bench/run.ts), checked before anything starts. */
export interface BenchOptions {
  quick: boolean;
  rungs: number[];
  windowMs: number;
  rampPerSecond: number;
  /** Calls of the setup probe each side runs before each rung's ramp (its setup CPU per call). */
  setupCalls: number;
  /** Interleaved ours/relay pairs per rung; the ratio reported is their median. */
  pairs: number;
  /** The engine protocol of the calls (ours and the relay both speak it). */
  path: 'elevenlabs' | 'openai';
  only?: 'ours' | 'relay';
  cpuProf: boolean;
  heapSnapshot: boolean;
  extras: boolean;
  pin: boolean;
  /** Run each side's TypeScript through tsx instead of its production-style bundle. */
  fromSource: boolean;
  out?: string;
}

const calls = z.number().int('whole calls').min(1).max(2000);
const schema = z.object({
  quick: z.boolean(),
  rungs: z
    .string()
    .regex(/^\d+(,\d+)*$/, 'a comma-separated list of call counts, e.g. 50,100')
    .transform((list) => list.split(',').map(Number))
    .pipe(z.array(calls)),
  window: z.coerce.number().positive('more than 0 seconds').max(600),
  ramp: z.coerce.number().positive('more than 0 calls a second').max(1000),
  pairs: z.coerce.number().int('whole pairs').min(1).max(15),
  'setup-calls': z.coerce.number().int('whole calls').min(1).max(500),
  path: z.enum(['elevenlabs', 'openai']),
  only: z.enum(['ours', 'relay']).optional(),
});

/** Throws an Error whose message says which option is wrong and why. */
export function parseBenchOptions(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      'cpu-prof': { type: 'boolean', default: false },
      'no-extras': { type: 'boolean', default: false },
      'no-pin': { type: 'boolean', default: false },
      'heap-snapshot': { type: 'boolean', default: false },
      'from-source': { type: 'boolean', default: false },
      ...stringOptions('rungs', 'window', 'only', 'out', 'ramp', 'pairs', 'path', 'setup-calls'),
    },
  });
  const quick = values.quick === true;
  const data = parsedOptions(schema, {
    quick,
    rungs: values.rungs ?? (quick ? '10' : '50,100,200,300'),
    window: values.window ?? (quick ? 2 : 10),
    ramp: values.ramp ?? 20,
    pairs: values.pairs ?? (quick ? 1 : 3),
    'setup-calls': values['setup-calls'] ?? (quick ? 5 : 20),
    path: values.path ?? 'elevenlabs',
    only: values.only,
  });
  return {
    quick,
    rungs: data.rungs,
    windowMs: data.window * 1000,
    rampPerSecond: data.ramp,
    setupCalls: data['setup-calls'],
    pairs: data.pairs,
    path: data.path,
    only: data.only,
    cpuProf: values['cpu-prof'] === true,
    heapSnapshot: values['heap-snapshot'] === true,
    extras: !quick && values['no-extras'] !== true,
    pin: values['no-pin'] !== true,
    fromSource: values['from-source'] === true,
    out: values.out,
  };
}
