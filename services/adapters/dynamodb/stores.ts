import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoCallSessionStore } from './call-session-store.js';
import { DynamoDigestMarkers } from './digest-markers.js';
import { DynamoFinalisationStore } from './finalisation-store.js';
import { DynamoOutboundRequestStore } from './outbound-request-store.js';
import { DynamoSweepWatermark } from './sweep-watermark.js';
import { DynamoUsageCounter } from './usage-counter.js';
import { DynamoWebhookDeliveries } from './webhook-deliveries.js';

/** Every store of the one call table, over one DocumentClient: what Lambdas and the local stack share. */
export interface CallTableStores {
  sessions: DynamoCallSessionStore;
  /** Finalisation state and the ElevenLabs post-call analyses (one adapter, both ports). */
  finalisations: DynamoFinalisationStore;
  markers: DynamoDigestMarkers;
  outboundRequests: DynamoOutboundRequestStore;
  /** The agent's tool usage per call and per caller per day (the tool limits that keep a caller from flooding the calendar or the inbox). */
  usage: DynamoUsageCounter;
  /** How far back the finalisation sweeper must look at Twilio's call list. */
  sweepWatermark: DynamoSweepWatermark;
  /** Integration webhook events and their delivery state (the sweeper retries them). */
  webhookDeliveries: DynamoWebhookDeliveries;
}

export function callTableStores(doc: DynamoDBDocumentClient, tableName: string): CallTableStores {
  return {
    sessions: new DynamoCallSessionStore(doc, { tableName }),
    finalisations: new DynamoFinalisationStore(doc, { tableName }),
    markers: new DynamoDigestMarkers(doc, { tableName }),
    outboundRequests: new DynamoOutboundRequestStore(doc, { tableName }),
    webhookDeliveries: new DynamoWebhookDeliveries(doc, { tableName }),
    usage: new DynamoUsageCounter(doc, { tableName }),
    sweepWatermark: new DynamoSweepWatermark(doc, { tableName }),
  };
}
