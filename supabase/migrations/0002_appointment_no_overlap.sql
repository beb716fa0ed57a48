-- Bookings that cannot collide: the database itself refuses two appointments whose times overlap
-- on the same calendar, whatever the application checked before (two calls booking the same slot
-- at once, a retried write, a hand edit). btree_gist lets the exclusion constraint combine `=` on
-- the calendar with `&&` (overlap) on the time range.
-- On Supabase extensions live in the `extensions` schema; elsewhere (PGlite in the tests) the
-- default schema is used.
do $$
begin
  if exists (select 1 from pg_namespace where nspname = 'extensions') then
    create extension if not exists btree_gist with schema extensions;
  else
    create extension if not exists btree_gist;
  end if;
end
$$;

-- The calendar the appointment's event is in: one business calendar today (`primary`); a second
-- calendar (a second chair, a second van) keeps its own slots.
alter table public.appointments add column calendar_id text not null default 'primary';

-- Half-open ranges: an appointment ending at 10:30 and one starting at 10:30 do not collide.
alter table public.appointments
  add constraint appointments_no_overlap
  exclude using gist (calendar_id with =, tstzrange(starts_at, ends_at, '[)') with &&);
