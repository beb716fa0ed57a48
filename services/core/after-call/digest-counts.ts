/** The day's numbers the digest shows, as frozen with its message (digest markers). */
import * as z from 'zod';

const count = z.number().int().nonnegative();

/** The day's numbers, as the digest shows them and as they are frozen with its message. */
export const digestCountsSchema = z.object({
  calls: count,
  inbound: count,
  outbound: count,
  answered: count,
  missed: count,
  failedOver: count,
  leads: count,
  appointments: count,
  followUps: count,
  /** Calls of earlier days finalised since the previous digest. */
  late: count,
});
export type DigestCounts = z.infer<typeof digestCountsSchema>;
