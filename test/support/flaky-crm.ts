import { MemoryCrm } from '../../services/adapters/memory/crm.js';
import { failWhileDown } from './fail-while-down.js';

/**
 * The embedded CRM taken down on demand, like Supabase answering 503: while `down`, each of the
 * `failing` methods throws before doing anything; the others (the reads a test checks rows
 * through) keep working.
 */
export class FlakyCrm extends MemoryCrm {
  down = false;

  constructor(options: { timezone: string }, failing: ReadonlyArray<keyof MemoryCrm & string>) {
    super(options);
    failWhileDown(
      this,
      failing,
      () => this.down,
      () => new Error('Supabase unavailable (503)'),
    );
  }
}
