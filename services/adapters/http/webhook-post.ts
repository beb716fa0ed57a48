import type { WebhookPost } from '../../core/ports/webhooks.js';

/**
 * One POST with the runtime's fetch, bounded by `timeoutMs` (a timeout rejects with `TimeoutError`).
 * Redirects are not followed: a receiver that moved answers 3xx, which is not a delivery, and a
 * signed body is never replayed to a host nobody configured. The receiver's body is read and dropped.
 */
export const fetchWebhookPost: WebhookPost = async (url, body, headers, timeoutMs) => {
  const response = await fetch(url, {
    method: 'POST',
    body,
    headers,
    redirect: 'manual',
    signal: AbortSignal.timeout(timeoutMs),
  });
  await response.arrayBuffer().catch(() => undefined);
  return { status: response.status };
};
