import { logger } from '../../core/shared/logging.js';
import { COUNTED_LOG_MESSAGES } from '../../core/shared/metric-names.js';

/** How long one protection request lasts; renewed well before it runs out while calls are live. */
export const PROTECTION_MINUTES = 60;
export const RENEW_EVERY_MS = 20 * 60 * 1000;

export interface TaskProtectionOptions {
  /** `$ECS_AGENT_URI`; absent outside ECS, where protection does nothing. */
  agentUri?: string;
  expiresInMinutes?: number;
  renewEveryMs?: number;
  fetchImpl?: typeof fetch;
}

/**
 * ECS task scale-in protection through the agent endpoint (`$ECS_AGENT_URI/task-protection/v1/state`):
 * a bridge task that holds live calls must not be stopped by a scale-in. Protection is switched on
 * when the first call arrives, renewed every 20 minutes while calls are live (each request protects
 * for 60), and switched off when the last call ends. The expiry is the safety net should the task
 * die without switching it off; the renewal keeps a long busy stretch protected past it.
 */
export class TaskProtection {
  private protectedNow = false;
  private wanted = false;
  private pending: Promise<void> = Promise.resolve();
  private renewal?: NodeJS.Timeout;
  private readonly agentUri: string | undefined;
  private readonly expiresInMinutes: number;
  private readonly renewEveryMs: number;
  private readonly fetchImpl: typeof fetch;

  constructor(options: TaskProtectionOptions = { agentUri: process.env.ECS_AGENT_URI }) {
    this.agentUri = options.agentUri;
    this.expiresInMinutes = options.expiresInMinutes ?? PROTECTION_MINUTES;
    this.renewEveryMs = options.renewEveryMs ?? RENEW_EVERY_MS;
    this.fetchImpl = options.fetchImpl ?? fetch;
  }

  /** Called whenever the number of live calls changes; requests are serialised and deduplicated. */
  update(activeCalls: number): Promise<void> {
    this.wanted = activeCalls > 0;
    if (this.wanted) this.startRenewing();
    else this.stop();
    return this.enqueue(() =>
      this.wanted === this.protectedNow ? Promise.resolve() : this.set(this.wanted),
    );
  }

  /** Stops renewing (draining: the task is going away anyway). */
  stop(): void {
    if (this.renewal) clearInterval(this.renewal);
    this.renewal = undefined;
  }

  private startRenewing(): void {
    if (this.renewal) return;
    this.renewal = setInterval(() => {
      void this.enqueue(() => (this.wanted ? this.set(true) : Promise.resolve()));
    }, this.renewEveryMs);
    this.renewal.unref();
  }

  private enqueue(step: () => Promise<void>): Promise<void> {
    this.pending = this.pending.then(step);
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
      // Switching it on is what keeps a stop from cutting calls: counted (TaskProtectionFailures).
      logger.error(
        enabled
          ? COUNTED_LOG_MESSAGES.taskProtectionNotSet
          : 'Could not switch ECS task scale-in protection off',
        { enabled, error: (error as Error).message },
      );
    }
  }
}
