-- Bolt Voice CRM: customers, leads, calls, call_turns, appointments.
-- Phone numbers are E.164, times timestamptz, ids uuid. Natural keys carry the unique constraints
-- the service upserts on, so every write from a retried webhook or tool call is idempotent.
-- Row level security is on for every table with no policies: the anon and authenticated roles see
-- nothing; only the service role (which bypasses RLS), used server-side, reads and writes.

create table public.customers (
  id uuid primary key default gen_random_uuid(),
  phone text not null unique check (phone ~ '^\+[1-9][0-9]{6,14}$'),
  name text,
  email text,
  business text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table public.leads (
  id uuid primary key default gen_random_uuid(),
  customer_id uuid not null references public.customers (id) on delete cascade,
  -- One lead per call; a lead entered by hand has no call.
  call_sid text unique,
  name text not null,
  business text,
  email text,
  phone text not null check (phone ~ '^\+[1-9][0-9]{6,14}$'),
  interest text,
  notes text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index leads_created_at_idx on public.leads (created_at);
create index leads_customer_id_idx on public.leads (customer_id);

create table public.appointments (
  id uuid primary key default gen_random_uuid(),
  customer_id uuid not null references public.customers (id) on delete cascade,
  call_sid text,
  starts_at timestamptz not null,
  ends_at timestamptz not null,
  calendar_event_id text not null unique,
  name text not null,
  phone text not null check (phone ~ '^\+[1-9][0-9]{6,14}$'),
  email text,
  purpose text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  check (ends_at > starts_at)
);
create index appointments_created_at_idx on public.appointments (created_at);
create index appointments_customer_starts_idx on public.appointments (customer_id, starts_at);

create table public.calls (
  id uuid primary key default gen_random_uuid(),
  call_sid text not null unique,
  customer_id uuid references public.customers (id) on delete set null,
  direction text not null check (direction in ('inbound', 'outbound')),
  -- Null when Twilio reports no usable number (a withheld caller id such as "anonymous").
  from_number text check (from_number ~ '^\+[1-9][0-9]{6,14}$'),
  to_number text check (to_number ~ '^\+[1-9][0-9]{6,14}$'),
  served_by text check (served_by in ('elevenlabs', 'openai')),
  failed_over boolean not null default false,
  started_at timestamptz not null,
  ended_at timestamptz,
  duration_seconds integer check (duration_seconds >= 0),
  outcome text not null,
  summary text,
  lead_id uuid references public.leads (id) on delete set null,
  appointment_id uuid references public.appointments (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index calls_started_at_idx on public.calls (started_at);
create index calls_customer_started_idx on public.calls (customer_id, started_at desc);

create table public.call_turns (
  id uuid primary key default gen_random_uuid(),
  call_sid text not null references public.calls (call_sid) on delete cascade,
  seq integer not null check (seq >= 1),
  role text not null check (role in ('caller', 'agent')),
  text text not null,
  at timestamptz not null,
  unique (call_sid, seq)
);

alter table public.customers enable row level security;
alter table public.leads enable row level security;
alter table public.appointments enable row level security;
alter table public.calls enable row level security;
alter table public.call_turns enable row level security;

-- Supabase grants the API roles table privileges by default; RLS already denies them every row,
-- and revoking the privileges as well makes the intent explicit.
revoke all on public.customers, public.leads, public.appointments, public.calls, public.call_turns
  from anon, authenticated;
