/**
 * The bridge container (Fargate): Twilio media streams ⇄ the voice engines, on PORT (default 8080).
 * Configuration comes from the environment, with the keys of the secret named by SECRETS_ARN merged
 * under it at start (as the Lambdas do). On SIGTERM it stops taking new streams, wraps up and ends
 * the live calls, flushes their writes and exits well inside the task's stopTimeout (`shutdown.ts`).
 */

import { TaskProtection } from '../adapters/ecs/task-protection.js';
import { ConfigError } from '../core/shared/config.js';
import { logger } from '../core/shared/logging.js';
import { awsBridgeDeps, bridgeEnvironment } from '../wiring/bridge.js';
import { createBridgeHttpServer } from './http-server.js';
import { BridgeMetrics } from './metrics.js';
import { createBridge } from './server.js';
import { installProcessHandlers } from './shutdown.js';

/** How often ActiveCalls is published even when it does not change (keeps the scaling metric fresh). */
const METRICS_INTERVAL_MS = 60_000;

/** Stops the start with the problem on stderr: a secret that cannot be read, a setting missing. */
function refuseToStart(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

async function start(): Promise<void> {
  const env = await bridgeEnvironment(process.env).catch((error: unknown) =>
    refuseToStart(
      `Could not read the secret ${process.env.SECRETS_ARN?.trim()}: ${(error as Error).message}`,
    ),
  );
  let wired: ReturnType<typeof awsBridgeDeps>;
  try {
    wired = awsBridgeDeps(env);
  } catch (error) {
    if (error instanceof ConfigError) refuseToStart(error.message);
    throw error;
  }
  const { config, deps } = wired;
  const metrics = new BridgeMetrics();
  const protection = new TaskProtection();
  const bridge = createBridge({
    ...deps,
    onEngineChosen: (event) => metrics.engineChosen(event),
    onTurnLatency: (ms, engine) => metrics.turnLatency(ms, engine),
    onTurnCount: (count, engine) => metrics.turnCount(count, engine),
    onEngineStall: (engine) => metrics.engineStall(engine),
    onActiveCallsChanged: (activeCalls) => {
      metrics.activeCalls(activeCalls);
      void protection.update(activeCalls);
    },
  });
  const server = createBridgeHttpServer(bridge);
  const publisher = setInterval(() => metrics.activeCalls(bridge.activeCalls()), METRICS_INTERVAL_MS);
  publisher.unref();
  server.listen(config.port, () => {
    logger.info('Bridge listening', {
      port: config.port,
      streamUrl: config.streamUrl,
      engines: Object.keys(deps.engines),
    });
  });

  installProcessHandlers(process, {
    bridge,
    stopServing: async () => {
      clearInterval(publisher);
      protection.stop();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    exit: (code) => process.exit(code),
  });
  process.on('SIGINT', () => {
    void bridge.close().then(() => server.close(() => process.exit(0)));
  });
}

void start();
