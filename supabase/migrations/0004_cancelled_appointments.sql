-- An appointment whose calendar event is gone (the owner cancelled it in Google Calendar) must not
-- hold its slot for ever: the row is kept for the record, marked cancelled, and the no-overlap
-- constraint only weighs appointments that are not cancelled.
alter table public.appointments add column cancelled_at timestamptz;

alter table public.appointments drop constraint appointments_no_overlap;

alter table public.appointments
  add constraint appointments_no_overlap
  exclude using gist (calendar_id with =, tstzrange(starts_at, ends_at, '[)') with &&)
  where (cancelled_at is null);
