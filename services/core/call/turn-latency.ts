/** A call's turn latency: caller stops speaking → first agent audio, as the bridge measured it. */
export interface TurnLatencySummary {
  turns: number;
  p50Ms: number;
  p90Ms: number;
}

/** p50/p90 of one call's turn latencies (nearest-rank percentiles). */
export function summariseLatency(samples: readonly number[]): TurnLatencySummary | undefined {
  if (samples.length === 0) return undefined;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = (p: number) => sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
  return { turns: sorted.length, p50Ms: Math.round(rank(50)), p90Ms: Math.round(rank(90)) };
}
