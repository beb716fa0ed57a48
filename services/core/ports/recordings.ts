/** Where call recordings are kept (S3 in AWS, a folder locally) and how they are listened to. */

/** Where a call's recording is written while the call runs, and kept once it is finished. */
export interface RecordingDestination {
  /** A path on this machine for the WAV while the call runs (its header is written last). */
  workingPath(callSid: string): string;
  /** The key the finished recording is stored under (recorded on the session from the start). */
  keyFor(callSid: string): string;
  /** Stores the finished file at `path` under `keyFor(callSid)`; the working file is gone afterwards. */
  store(callSid: string, path: string): Promise<{ bytes: number }>;
}

/** Where a finished recording can be listened to: a short-lived link (AWS) or a local page. */
export interface RecordingLinks {
  /** A link to the stored recording `key` of `callSid`, valid for a while; undefined if it cannot be made. */
  linkFor(callSid: string, key: string): Promise<string | undefined>;
}
