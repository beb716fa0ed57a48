/**
 * The CRM and the mailer chosen from the configuration, and the deps of finalisation, the post-call
 * webhook and the digest built on them. Apart from business-adapters.ts so that the after-call Lambdas
 * bundle neither the Twilio REST client nor the Google calendar, which they never use.
 */

import { fetchWebhookPost } from '../../adapters/http/webhook-post.js';
import { OutboxMailer } from '../../adapters/memory/outbox-mailer.js';
import { ResendMailer } from '../../adapters/resend/mailer.js';
import { sqsRetryScheduler } from '../../adapters/sqs/webhook-retry-queue.js';
import type { DigestDeps } from '../../core/after-call/daily-digest.js';
import type { FinaliseDeps } from '../../core/after-call/finalise-call.js';
import type { PostCallDeps } from '../../core/after-call/post-call.js';
import type {
  CallSessionStore,
  DigestMarkers,
  FinalisationStore,
  PostCallAnalysisStore,
  TextLog,
  UsageCounter,
} from '../../core/ports/call-store.js';
import type { Crm, TextReplies } from '../../core/ports/crm.js';
import type { Mailer } from '../../core/ports/mail.js';
import type { WebhookDeliveryStore } from '../../core/ports/webhooks.js';
import { type Config, ConfigError } from '../../core/shared/config.js';
import { type AdapterChoices, type AdapterMode, refuseStandInsInAws } from './adapter-choices.js';
import { crmFor } from './crm.js';
import { type Recordings, recordingsFor } from './recordings.js';

export function mailerFor(config: Config, choices: AdapterChoices): Mailer {
  if (config.resendApiKey) {
    return new ResendMailer({
      apiKey: config.resendApiKey,
      from: config.emailFrom,
      baseUrl: config.resendApiUrl,
    });
  }
  choices.missing.push('RESEND_API_KEY');
  choices.embedded.push('mail');
  return new OutboxMailer({ dir: config.localOutboxDir, from: config.emailFrom });
}

export interface CrmAndMail {
  crm: Crm & TextReplies;
  mailer: Mailer;
  /** Links a call's stored recording (absent: no store configured, nothing is linked). */
  recordings?: Recordings;
  embedded: string[];
}

/** What the after-call Lambdas need from outside: the CRM and the mailer. */
export function crmAndMailFor(config: Config, mode: AdapterMode): CrmAndMail {
  const choices: AdapterChoices = { embedded: [], missing: [] };
  const crm = crmFor(config, choices);
  const mailer = mailerFor(config, choices);
  refuseStandInsInAws(mode, choices);
  // The event carries what the owner email does: in AWS it goes over TLS or not at all.
  if (mode === 'aws' && config.integrationWebhook && !config.integrationWebhook.url.startsWith('https://')) {
    throw new ConfigError(['INTEGRATION_WEBHOOK_URL must be an https URL in AWS']);
  }
  return { crm, mailer, recordings: recordingsFor(config, mode), embedded: choices.embedded };
}

/** The stores finalisation, the post-call webhook and the digest work on (the call table). */
export interface AfterCallStores {
  sessions: Pick<CallSessionStore, 'get' | 'markFinalising' | 'markFinalised'> & Partial<TextLog>;
  finalisations: FinalisationStore & PostCallAnalysisStore;
  markers: DigestMarkers;
  /** The integration webhook's deliveries (absent: no event is sent, even with the settings). */
  webhookDeliveries?: WebhookDeliveryStore;
  /** The usage counters: with them (and `SMS_ENABLED`), finalisation texts back missed callers (`missed-call-texts.ts`). */
  usage?: UsageCounter;
}

/** Deps of finalisation, the post-call merge and the digest (the digest's are a superset). */
export function afterCallDepsFor(
  config: Config,
  adapters: { crm: Crm; mailer: Mailer; recordings?: Recordings },
  stores: AfterCallStores,
  now: () => number = Date.now,
): DigestDeps & PostCallDeps & FinaliseDeps {
  return {
    sessions: stores.sessions,
    finalisations: stores.finalisations,
    analyses: stores.finalisations,
    markers: stores.markers,
    crm: adapters.crm,
    mailer: adapters.mailer,
    ownerEmail: config.ownerEmail,
    recordingLinks: adapters.recordings,
    webhookFailures: stores.webhookDeliveries,
    integration:
      config.integrationWebhook && stores.webhookDeliveries
        ? {
            ...config.integrationWebhook,
            deliveries: stores.webhookDeliveries,
            post: fetchWebhookPost,
            now,
            scheduleRetry: config.webhookRetryQueueUrl
              ? sqsRetryScheduler(config.webhookRetryQueueUrl, now)
              : undefined,
          }
        : undefined,
    business: { name: config.business.name, timezone: config.business.timezone },
    costRates: config.costRates,
    now,
  };
}
