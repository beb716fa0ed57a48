/**
 * What the simulators' socket peers (the ElevenLabs conversation, the Twilio call stream) share:
 * the record of every message the system under test sent them, and waiting on their state.
 */
import { isRecord, parseFrame } from './violation.js';
import { Waiter } from './waiter.js';

export abstract class ObservedPeer {
  /** Every message received, in order (parsed JSON; the raw text when it was not JSON; binary frames as is). */
  readonly received: unknown[] = [];
  /** The owner calls `notify()` on it whenever its state changes. */
  protected readonly waiter = new Waiter();

  /** @param condition names what a `waitFor` without its own description waits for, in timeout errors */
  protected constructor(private readonly condition: string) {}

  /** Waits until `predicate(this)` holds; re-checked whenever the owner notifies (a message, a close). */
  waitFor(predicate: (peer: this) => boolean, timeoutMs: number, what = this.condition): Promise<void> {
    return this.waiter.waitFor(() => predicate(this), timeoutMs, what);
  }

  /** Received JSON messages whose `field` is `value`, e.g. `type` or `event`. */
  protected receivedWhere(field: string, value: string): Array<Record<string, unknown>> {
    return this.received.filter((m): m is Record<string, unknown> => isRecord(m) && m[field] === value);
  }

  /** Records a text frame as received and returns it parsed (or as the raw text when it is not JSON). */
  protected receiveText(data: Buffer): { text: string; message: unknown } {
    const text = data.toString('utf8');
    const parsed = parseFrame(text);
    const message = 'value' in parsed ? parsed.value : text;
    this.received.push(message);
    return { text, message };
  }
}
