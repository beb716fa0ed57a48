-- A caller's text to the business number (POST /twilio/sms), usually a reply to one of our texts:
-- kept with the customer of that number and, when the number was on a call in the week before,
-- with that call. Twilio's MessageSid is the natural key, so a webhook delivered twice keeps one row.
create table public.text_replies (
  id uuid primary key default gen_random_uuid(),
  message_sid text not null unique,
  phone text not null check (phone ~ '^\+[1-9][0-9]{6,14}$'),
  customer_id uuid references public.customers (id) on delete set null,
  call_sid text references public.calls (call_sid) on delete set null,
  body text not null,
  received_at timestamptz not null
);

create index text_replies_customer on public.text_replies (customer_id, received_at);

alter table public.text_replies enable row level security;
