/**
 * Keeps the stored transcript to what the caller heard. Turns are written as they happen; an agent
 * reply the caller cut off is then rewritten: an ElevenLabs correction replaces it, an OpenAI
 * barge-in cuts it at the share of its audio that was played (the transcript may arrive before or
 * after the cut), and either way it is marked interrupted.
 */
export interface TranscriptSink {
  /** Writes a new turn; returns its handle (`seq`). */
  turn(role: 'caller' | 'agent', text: string, options?: { interrupted?: boolean }): number;
  rewriteTurn(seq: number, text: string, interrupted: boolean): void;
}

interface AgentTurn {
  seq: number;
  text: string;
  itemId?: string;
}

export class HeardTranscript {
  private lastAgent: AgentTurn | undefined;
  /** Items cut before their transcript arrived: the share of their audio the caller heard. */
  private readonly cuts = new Map<string, number>();

  constructor(private readonly sink: TranscriptSink) {}

  caller(text: string): void {
    this.sink.turn('caller', text);
  }

  agent(
    text: string,
    details: { itemId?: string; interrupted?: boolean; replacesLast?: boolean } = {},
  ): void {
    if (details.replacesLast && this.lastAgent) {
      this.lastAgent.text = text;
      this.sink.rewriteTurn(this.lastAgent.seq, text, details.interrupted ?? true);
      return;
    }
    const share = details.itemId === undefined ? undefined : this.cuts.get(details.itemId);
    if (share !== undefined) this.cuts.delete(details.itemId!);
    const heard = share === undefined ? text : wordsHeard(text, share);
    const interrupted = share !== undefined || details.interrupted === true;
    if (!heard) return;
    const seq = this.sink.turn('agent', heard, interrupted ? { interrupted } : {});
    this.lastAgent = { seq, text, itemId: details.itemId };
  }

  /** A barge-in cut `itemId` after `heardMs` of the `deliveredMs` the engine had sent. */
  cut(itemId: string, heardMs: number, deliveredMs: number): void {
    const share = deliveredMs > 0 ? Math.min(1, heardMs / deliveredMs) : 0;
    const last = this.lastAgent;
    if (last?.itemId === itemId) {
      last.itemId = undefined; // cut once
      this.sink.rewriteTurn(last.seq, wordsHeard(last.text, share) || '—', true);
      return;
    }
    this.cuts.set(itemId, share);
  }
}

/** The first `share` of the words of `text` (rounded to whole words), with a dash where it broke off. */
export function wordsHeard(text: string, share: number): string {
  const words = text.split(/\s+/).filter(Boolean);
  const kept = words.slice(0, Math.round(words.length * share));
  if (kept.length === words.length) return words.join(' ');
  return kept.length === 0 ? '' : `${kept.join(' ')} —`;
}
