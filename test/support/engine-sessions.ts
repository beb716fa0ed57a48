import type { EngineSession } from '../../services/core/ports/engine';

/**
 * The sessions an engine adapter test opens. After each test they are closed, then the simulator
 * behind them, so no socket of one test reaches the next; spies are restored too.
 */
export function sessionsClosedAfterEach(
  simulator: () => { close(): Promise<void> } | undefined,
): EngineSession[] {
  const open: EngineSession[] = [];
  afterEach(async () => {
    for (const session of open.splice(0)) session.close();
    await simulator()?.close();
    jest.restoreAllMocks();
  });
  return open;
}
