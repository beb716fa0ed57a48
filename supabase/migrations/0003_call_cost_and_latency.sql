-- Per call: the estimated cost (engine time and usage plus Twilio minutes, priced with the
-- configured COST_* rates; services/core/call-cost.ts) and the per-turn response time the bridge
-- measured (caller stops speaking -> first agent audio). The total and its currency are columns, so
-- SQL can sum them; the breakdown per engine and for Twilio is kept as JSON.

alter table public.calls
  add column estimated_cost numeric(12, 4) check (estimated_cost >= 0),
  add column cost_currency text check (cost_currency ~ '^[A-Z]{3}$'),
  -- {currency, total, twilio: {minutes, amount}, engines: [{engine, seconds, amount, usage?, pricedBy}]}
  add column cost_breakdown jsonb check (cost_breakdown is null or jsonb_typeof(cost_breakdown) = 'object'),
  add column turn_latency_turns integer check (turn_latency_turns >= 0),
  add column turn_latency_p50_ms integer check (turn_latency_p50_ms >= 0),
  add column turn_latency_p90_ms integer check (turn_latency_p90_ms >= 0),
  add constraint calls_cost_currency_with_cost check ((estimated_cost is null) = (cost_currency is null));
