import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import type { BenchCall } from './calls';

/**
 * The setup probe: what starting a call costs the process under test, measured on calls that do
 * nothing else. Each call starts exactly as a rung's call does (signed webhook, signed stream,
 * `connected`, `start`, caller frames) but its caller stops once the first frame reaches the engine
 * and the engine sends no audio, so no per-frame work is mixed into the figure. The process's CPU
 * from the first webhook to the last first frame (plus a settle for the writes a setup sets off),
 * less its idle rate over the same time, divided by the calls, is the setup CPU per call.
 */

export interface SetupProbeTarget {
  /** Starts `count` setup-only calls at the ramp's rate, as the rung does; resolves once all have started. */
  startCalls(count: number): Promise<BenchCall[]>;
  /** The process under test's CPU time so far (user + system), in µs. */
  cpuMicros(): Promise<number>;
  /** The load generator forgets a call once it has ended. */
  forget(call: BenchCall): void;
}

export interface SetupProbe {
  calls: number;
  /** Calls whose first caller frame reached the engine (the others failed or timed out). */
  reached: number;
  /** CPU of the process under test per call spent on starting it, less its idle rate. */
  cpuMsPerCall: number;
  /** The idle rate subtracted, as a share of one core. */
  idleCpuPercent: number;
  /** From the first webhook to the end of the settle. */
  seconds: number;
}

/** Long enough to read a timer-driven idle rate, short enough not to stretch the rung. */
const IDLE_MS = 1000;
/** After the last first frame: the writes a setup sets off (the engine's record) land in this. */
const SETTLE_MS = 300;
/** Generous: a starved machine may take long; what is measured is CPU, not how long this takes. */
const LIMIT_MS = 15_000;
const POLL_MS = 20;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(condition: () => boolean, limitMs: number): Promise<void> {
  const deadline = performance.now() + limitMs;
  while (!condition() && performance.now() < deadline) await sleep(POLL_MS);
}

/** Runs the probe, then hangs its calls up and waits for their ends, so the rung starts clean. */
export async function probeSetup(target: SetupProbeTarget, count: number): Promise<SetupProbe> {
  const idleFrom = { cpu: await target.cpuMicros(), at: performance.now() };
  await sleep(IDLE_MS);
  const idleTo = { cpu: await target.cpuMicros(), at: performance.now() };
  const idleMicrosPerMs = Math.max(0, (idleTo.cpu - idleFrom.cpu) / (idleTo.at - idleFrom.at));

  const from = { cpu: await target.cpuMicros(), at: performance.now() };
  const calls = await target.startCalls(count);
  await until(() => calls.every((call) => call.firstCallerFrameAt !== undefined), LIMIT_MS);
  await sleep(SETTLE_MS);
  const to = { cpu: await target.cpuMicros(), at: performance.now() };
  const elapsedMs = to.at - from.at;
  const setupMicros = to.cpu - from.cpu - idleMicrosPerMs * elapsedMs;

  for (const call of calls) {
    call.stop();
    call.hangUp();
  }
  // An end is done when both of its sockets are closed: the side under test closed the engine's
  // once it had handled the caller's `stop`.
  const closed = (socket: WebSocket | undefined) =>
    socket === undefined || socket.readyState === WebSocket.CLOSED;
  await until(() => calls.every((c) => closed(c.twilio) && closed(c.engineSocket)), LIMIT_MS);
  await sleep(SETTLE_MS);
  for (const call of calls) target.forget(call);

  return {
    calls: count,
    reached: calls.filter((call) => call.firstCallerFrameAt !== undefined).length,
    cpuMsPerCall: setupMicros / 1000 / count,
    idleCpuPercent: (idleMicrosPerMs / 1000) * 100,
    seconds: elapsedMs / 1000,
  };
}
