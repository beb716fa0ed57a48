import { DeleteCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import {
  FINAL_CALL_STATUSES,
  type FinalisationInput,
  type FinalisationState,
  type FinalisationStep,
  type FinalisationStore,
  type PostCallAnalysis,
  type PostCallAnalysisStore,
} from '../../core/ports/call-store.js';
import { PENDING_PK } from '../../core/ports/call-table-schema.js';
import type { EmailMessage } from '../../core/ports/mail.js';
import {
  AFTER_CALL_TTL_DAYS,
  analysisKey,
  compact,
  emailMessageSchema,
  expiresAtSeconds,
  finalKey,
  pendingMarkerKey,
} from './after-call-items.js';
import { CallTableStore, type CallTableStoreOptions } from './call-table-store.js';
import { wrote } from './conditional.js';
import { queryItems } from './query-items.js';

/** `now`: the clock for tidying abandoned markers. */
export type DynamoFinalisationStoreOptions = CallTableStoreOptions;

/** A marker without its state item this old is left over from a `begin` that died between writes. */
const ORPHAN_MARKER_AFTER_MS = 60 * 60 * 1000;

const finalSchema = z.object({
  callSid: z.string(),
  status: z.enum(FINAL_CALL_STATUSES),
  durationSeconds: z.number().optional(),
  at: z.number(),
  fallback: z
    .object({ from: z.string(), to: z.string(), direction: z.enum(['inbound', 'outbound']) })
    .optional(),
  step: z.enum(['pending', 'crm-saved', 'emailed', 'done']),
  attempts: z.number(),
  lastError: z.string().optional(),
  summarySource: z.enum(['analysis', 'turns']).optional(),
  updatedAt: z.number(),
});

const analysisSchema = z.object({
  callSid: z.string(),
  conversationId: z.string(),
  summary: z.string().optional(),
  callSuccessful: z.string().optional(),
  dataCollectionJson: z.string(),
  eventAt: z.number(),
  receivedAt: z.number(),
});

const markerSchema = z.object({ callSid: z.string(), since: z.number() });

/**
 * Finalisation state and post-call analyses in the call table. Each step is one conditional write;
 * the pending list is a marker item per call (written before the state, removed after `done`), so
 * no index and no transaction is needed and a crash between two writes never hides a pending call.
 */
export class DynamoFinalisationStore
  extends CallTableStore
  implements FinalisationStore, PostCallAnalysisStore
{
  async begin(
    input: FinalisationInput,
    now: number,
  ): Promise<{ state: FinalisationState; created: boolean }> {
    const existing = await this.get(input.callSid);
    if (existing) return { state: existing, created: false };

    // Marker first: if we die before the state is written, the marker is found and cleaned up;
    // the other order could leave a pending state that no retry ever lists.
    await this.putItem({
      Item: { ...pendingMarkerKey(input.callSid), callSid: input.callSid, since: now },
    });
    const state: FinalisationState = { ...input, step: 'pending', attempts: 0, updatedAt: now };
    const created = await wrote(
      this.putItem({
        Item: { ...finalKey(input.callSid), ...compact(state) },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    if (created) return { state, created: true };
    // A concurrent callback began first: its state stands.
    const raced = await this.get(input.callSid);
    if (!raced) throw new Error(`Finalisation state of ${input.callSid} vanished during begin`);
    if (raced.step === 'done') await this.deleteMarker(input.callSid);
    return { state: raced, created: false };
  }

  async get(callSid: string): Promise<FinalisationState | undefined> {
    const item = await this.readItem(finalKey(callSid));
    return item ? (compact(finalSchema.parse(item)) as FinalisationState) : undefined;
  }

  async advance(
    callSid: string,
    from: FinalisationStep,
    to: FinalisationStep,
    now: number,
    patch: { summarySource?: 'analysis' | 'turns' } = {},
  ): Promise<boolean> {
    const set = ['step = :to', 'updatedAt = :now'];
    const values: Record<string, unknown> = { ':to': to, ':from': from, ':now': now };
    if (patch.summarySource) {
      set.push('summarySource = :source');
      values[':source'] = patch.summarySource;
    }
    if (to === 'done') {
      // Only a finished finalisation may expire.
      set.push('expiresAt = :expiresAt');
      values[':expiresAt'] = expiresAtSeconds(now, AFTER_CALL_TTL_DAYS);
    }
    const moved = await wrote(
      this.updateItem({
        Key: finalKey(callSid),
        UpdateExpression: `SET ${set.join(', ')}`,
        ConditionExpression: 'step = :from',
        ExpressionAttributeValues: values,
      }),
    );
    if (moved && to === 'done') await this.deleteMarker(callSid);
    return moved;
  }

  async recordAttempt(callSid: string, now: number, error?: string): Promise<void> {
    await this.updateItem({
      Key: finalKey(callSid),
      UpdateExpression:
        error === undefined
          ? 'SET updatedAt = :now ADD attempts :one REMOVE lastError'
          : 'SET updatedAt = :now, lastError = :error ADD attempts :one',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeValues: {
        ':now': now,
        ':one': 1,
        ...(error === undefined ? {} : { ':error': error.slice(0, 1000) }),
      },
    });
  }

  async setSummarySource(callSid: string, source: 'analysis' | 'turns', now: number): Promise<void> {
    await this.updateItem({
      Key: finalKey(callSid),
      UpdateExpression: 'SET summarySource = :source, updatedAt = :now',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeValues: { ':source': source, ':now': now },
    });
  }

  async listPending(limit: number): Promise<string[]> {
    const pending: string[] = [];
    const markers = queryItems(this.doc, {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': PENDING_PK },
      ConsistentRead: true,
    });
    for await (const item of markers) {
      const marker = markerSchema.parse(item);
      const state = await this.get(marker.callSid);
      // Tidy as we go: a finished call whose marker delete failed, or an abandoned begin.
      if (state?.step === 'done' || (!state && this.now() - marker.since > ORPHAN_MARKER_AFTER_MS)) {
        await this.deleteMarker(marker.callSid);
        continue;
      }
      if (state) pending.push(marker.callSid);
      if (pending.length >= limit) return pending;
    }
    return pending;
  }

  async freezeEmail(callSid: string, message: EmailMessage): Promise<EmailMessage> {
    const { Attributes } = await this.updateItem({
      Key: finalKey(callSid),
      UpdateExpression: 'SET ownerEmailJson = if_not_exists(ownerEmailJson, :message)',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeValues: { ':message': JSON.stringify(message) },
      ReturnValues: 'ALL_NEW',
    });
    return emailMessageSchema.parse(JSON.parse(String(Attributes?.ownerEmailJson)));
  }

  async saveAnalysis(analysis: PostCallAnalysis): Promise<{ stored: boolean }> {
    const { dataCollection, ...rest } = analysis;
    const stored = await wrote(
      this.putItem({
        Item: {
          ...analysisKey(analysis.callSid),
          ...compact(rest),
          // Extracted values are any JSON: a string keeps what a DynamoDB map would refuse.
          dataCollectionJson: JSON.stringify(dataCollection),
          expiresAt: expiresAtSeconds(analysis.receivedAt, AFTER_CALL_TTL_DAYS),
        },
        // A redelivery (same event) or an older event changes nothing.
        ConditionExpression: 'attribute_not_exists(pk) OR eventAt < :eventAt',
        ExpressionAttributeValues: { ':eventAt': analysis.eventAt },
      }),
    );
    return { stored };
  }

  async getAnalysis(callSid: string): Promise<PostCallAnalysis | undefined> {
    const item = await this.readItem(analysisKey(callSid));
    if (!item) return undefined;
    const { dataCollectionJson, ...rest } = analysisSchema.parse(item);
    return {
      ...(compact(rest) as Omit<PostCallAnalysis, 'dataCollection'>),
      dataCollection: JSON.parse(dataCollectionJson) as PostCallAnalysis['dataCollection'],
    };
  }

  private async deleteMarker(callSid: string): Promise<void> {
    await this.doc.send(new DeleteCommand({ TableName: this.tableName, Key: pendingMarkerKey(callSid) }));
  }
}
