-- Per call: its recording (RECORD_CALLS=on). `recorded` with a short-lived presigned link minted at
-- finalisation (the object itself stays private in its bucket and expires with the bucket's
-- lifecycle), or `no recording` when the call was recorded and none could be stored. Both null: the
-- call was not recorded.

alter table public.calls
  add column recording_status text check (recording_status in ('recorded', 'no recording')),
  add column recording_url text check (recording_url is null or recording_url ~ '^https?://'),
  add constraint calls_recording_url_when_recorded
    check ((recording_status = 'recorded') = (recording_url is not null));
