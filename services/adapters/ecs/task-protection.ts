import { logger } from '../../core/logging.js';

/**
 * ECS task scale-in protection through the agent endpoint (`$ECS_AGENT_URI/task-protection/v1/state`):
 * a bridge task that holds live calls must not be stopped by a scale-in. Protection is switched on
 * when the first call arrives and off when the last one ends; the expiry is a safety net should the
 * task die without switching it off. Outside ECS (no ECS_AGENT_URI) it does nothing.
 */
export class TaskProtection {
  private protectedNow = false;
  private pending: Promise<void> = Promise.resolve();

  constructor(
    private readonly agentUri: string | undefined = process.env.ECS_AGENT_URI,
    private readonly expiresInMinutes = 120,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {}

  /** Called whenever the number of live calls changes; requests are serialised and deduplicated. */
  update(activeCalls: number): Promise<void> {
    const want = activeCalls > 0;
    this.pending = this.pending.then(() => (want === this.protectedNow ? undefined : this.set(want)));
    return this.pending;
  }

  private async set(enabled: boolean): Promise<void> {
    if (!this.agentUri) {
      this.protectedNow = enabled;
      return;
    }
    try {
      const response = await this.fetchImpl(`${this.agentUri}/task-protection/v1/state`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(
          enabled
            ? { ProtectionEnabled: true, ExpiresInMinutes: this.expiresInMinutes }
            : { ProtectionEnabled: false },
        ),
      });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      this.protectedNow = enabled;
    } catch (error) {
      logger.error('Could not change ECS task scale-in protection', {
        enabled,
        error: (error as Error).message,
      });
    }
  }
}
