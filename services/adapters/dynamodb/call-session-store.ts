import { GetCommand, QueryCommand, type UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import type { SentText } from '../../core/call/call-session.js';
import {
  type CallerVerification,
  type CallRecord,
  type CallSession,
  type EngineRecord,
  type EngineUse,
  type NewCallSession,
  otherPartyVerified,
  type ToolCallRecord,
  TRANSFERRED,
  type Turn,
} from '../../core/call/call-session.js';
import type { CallRecording } from '../../core/call/recording.js';
import { STREAM_TOKEN_TTL_MS } from '../../core/call/stream-token.js';
import type { TextLog, UnfinalisedCall, UnfinalisedCallIndex } from '../../core/ports/call-store.js';
import { type CallSessionStore, PermanentWriteError } from '../../core/ports/call-store.js';
import { UNFINALISED_INDEX, UNFINALISED_PK } from '../../core/ports/call-table-schema.js';
import { forCall } from '../../core/shared/logging.js';
import {
  callPk,
  customerAttribute,
  type Item,
  itemKind,
  newSessionItem,
  sessionFromItem,
  sessionKey,
  textFromItem,
  textItem,
  toolCallFromItem,
  toolItem,
  turnFromItem,
  turnItem,
  unfinalisedFromItem,
} from './call-items.js';
import { CallTableStore, type CallTableStoreOptions } from './call-table-store.js';
import { unlessRefused, wrote } from './conditional.js';
import { queryItems } from './query-items.js';

/** The SET assignments of an engine use (each write replaces the previous one). */
function addEngineUse(use: EngineUse, set: string[], values: Record<string, unknown>): void {
  set.push('engineSegments = :segments');
  values[':segments'] = use.engineSegments;
  if (use.failoverMs !== undefined) {
    set.push('failoverMs = :failoverMs');
    values[':failoverMs'] = use.failoverMs;
  }
  if (use.turnLatency !== undefined) {
    set.push('turnLatency = :turnLatency');
    values[':turnLatency'] = use.turnLatency;
  }
}

/**
 * DynamoDB refusing the request itself (an item over 400 KB, a value it cannot hold): the same
 * write fails the same way every time. Throttling, 5xx and network errors stay as they are (retried).
 */
const REFUSED_FOR_GOOD = new Set(['ValidationException', 'SerializationException']);

async function permanentIfRefused(write: Promise<unknown>): Promise<unknown> {
  try {
    return await write;
  } catch (error) {
    if (error instanceof Error && REFUSED_FOR_GOOD.has(error.name))
      throw new PermanentWriteError(error.message, { cause: error });
    throw error;
  }
}

/** The end reason of a call whose final status came before (or without) the bridge's stream end. */
const FINISHED_WITHOUT_STREAM_END = 'call-finished';

/** `now`: the clock for the TTL of new items. */
export type DynamoCallSessionStoreOptions = CallTableStoreOptions;

/**
 * Call sessions in one DynamoDB table. Every state change is a single conditional write, so a
 * retried webhook, a second bridge task or a finaliser run twice changes nothing the second time,
 * without transactions (dynalite, the local stand-in, has none).
 */
export class DynamoCallSessionStore
  extends CallTableStore
  implements CallSessionStore, UnfinalisedCallIndex, CallerVerification, TextLog
{
  async open(session: NewCallSession): Promise<boolean> {
    const created = await wrote(this.put(newSessionItem(session, this.now()), 'attribute_not_exists(pk)'));
    if (created) return true;

    // The session exists: a Twilio webhook retry. While the stream has not started, the new TwiML's
    // token replaces the old one (the old TwiML is never executed). The provider chosen first stays,
    // and a customer found earlier is kept when this lookup came back empty.
    const set = ['streamTokenHash = :hash', 'tokenIssuedAt = :issuedAt'];
    const values: Record<string, unknown> = {
      ':hash': session.streamTokenHash,
      ':issuedAt': session.streamTokenIssuedAt ?? session.createdAt,
      ':created': 'created',
    };
    if (session.customer) {
      set.push('customer = :customer');
      values[':customer'] = customerAttribute(session.customer);
    }
    return this.updateSessionWhen(
      session.callSid,
      `SET ${set.join(', ')}`,
      'attribute_exists(pk) AND #status = :created',
      values,
    );
  }

  async claimStream(
    callSid: string,
    streamTokenHash: string,
    streamSid: string,
    at: number,
  ): Promise<CallSession | undefined> {
    const result = await unlessRefused(
      this.updateItem({
        Key: sessionKey(callSid),
        UpdateExpression: 'SET #status = :streaming, streamSid = :streamSid, streamingAt = :at',
        // An unknown call fails here too: the condition is false on a missing item. A token older
        // than STREAM_TOKEN_TTL_MS fails like a wrong one (sessions written before tokenIssuedAt
        // existed are judged by createdAt).
        ConditionExpression:
          '#status = :created AND streamTokenHash = :hash AND (tokenIssuedAt >= :oldest OR (attribute_not_exists(tokenIssuedAt) AND createdAt >= :oldest))',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':streaming': 'streaming',
          ':created': 'created',
          ':hash': streamTokenHash,
          ':streamSid': streamSid,
          ':at': at,
          ':oldest': at - STREAM_TOKEN_TTL_MS,
        },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return result?.Attributes ? sessionFromItem(result.Attributes) : undefined;
  }

  async recordEngine(callSid: string, engine: EngineRecord): Promise<void> {
    const { servedBy, failoverReason, conversationId, use } = engine;
    const set = ['servedBy = :servedBy'];
    const values: Record<string, unknown> = { ':servedBy': servedBy };
    if (failoverReason !== undefined) {
      set.push('failoverReason = :reason');
      values[':reason'] = failoverReason;
    }
    if (conversationId !== undefined) {
      set.push('conversationId = :conversationId');
      values[':conversationId'] = conversationId;
    }
    if (use) addEngineUse(use, set, values);
    const remove = [
      ...(failoverReason === undefined ? ['failoverReason'] : []),
      ...(conversationId === undefined ? ['conversationId'] : []),
    ];
    const remover = remove.length > 0 ? ` REMOVE ${remove.join(', ')}` : '';
    const recorded = await this.setOnSession(callSid, `${set.join(', ')}${remover}`, values);
    if (!recorded) forCall(callSid).warn('No call session to record the engine on', { servedBy });
  }

  async recordEngineUse(callSid: string, use: EngineUse): Promise<void> {
    const set: string[] = [];
    const values: Record<string, unknown> = {};
    addEngineUse(use, set, values);
    const recorded = await this.setOnSession(callSid, set.join(', '), values);
    if (!recorded) forCall(callSid).warn('No call session to record the engine use on');
  }

  async appendTurn(callSid: string, turn: Turn): Promise<void> {
    // A duplicate seq is a retry of the same write: keep the first, quietly.
    await wrote(this.put(turnItem(callSid, turn, this.now()), 'attribute_not_exists(pk)'));
    await this.flagIfLate(callSid);
  }

  /**
   * A turn or tool call that lands once finalisation has begun (a write kept through an outage,
   * Twilio's status overtaking the stream, a tool finishing after the hang-up) may be missing from
   * what finalisation read: counted, and the call kept (or put back) on the sweeper's index, which
   * writes the call row (and any booking's CRM row) again.
   */
  private async flagIfLate(callSid: string): Promise<void> {
    await this.updateSessionWhen(
      callSid,
      'SET sweepPk = :pk, sweepSince = :now ADD lateTurnMarks :one',
      '#status IN (:finalising, :finalised)',
      {
        ':pk': UNFINALISED_PK,
        ':now': this.now(),
        ':one': 1,
        ':finalising': 'finalising',
        ':finalised': 'finalised',
      },
    );
  }

  async lateTurnsSaved(callSid: string, seenMarks: number): Promise<void> {
    // Only when no turn was counted since the sweeper read the marks: a turn landing between its
    // read and this write keeps the call listed for the next run. (`lateTurns`: the older flag.)
    await this.updateSessionWhen(
      callSid,
      'REMOVE sweepPk, sweepSince, lateTurns, lateTurnMarks',
      '#status = :finalised AND (attribute_not_exists(lateTurnMarks) OR lateTurnMarks = :seen)',
      { ':finalised': 'finalised', ':seen': seenMarks },
    );
  }

  async replaceTurn(callSid: string, turn: Turn): Promise<void> {
    const replaced = await wrote(this.put(turnItem(callSid, turn, this.now()), 'attribute_exists(pk)'));
    // The turn itself was never stored (its own write was refused): no retry will find it.
    if (!replaced) throw new PermanentWriteError(`turn ${turn.seq} was never stored: nothing to rewrite`);
  }

  async appendToolCall(callSid: string, record: ToolCallRecord): Promise<void> {
    await wrote(this.put(toolItem(callSid, record, this.now()), 'attribute_not_exists(pk)'));
    await this.flagIfLate(callSid);
  }

  async recordRecording(callSid: string, recording: CallRecording): Promise<void> {
    const recorded = await this.setOnSession(callSid, 'recording = :recording', { ':recording': recording });
    if (!recorded)
      forCall(callSid).warn('No call session to record the recording on', { status: recording.status });
  }

  async appendText(callSid: string, text: SentText): Promise<void> {
    await wrote(this.put(textItem(callSid, text, this.now()), 'attribute_not_exists(pk)'));
  }

  async recordTransferResult(callSid: string, dialStatus: string): Promise<void> {
    const recorded = await this.setOnSession(callSid, 'transferStatus = :status', { ':status': dialStatus });
    if (!recorded) forCall(callSid).warn('No call session to record the transfer result on', { dialStatus });
  }

  async reopenAfterTransfer(
    callSid: string,
    reopen: { streamTokenHash: string; dialStatus: string; at: number },
  ): Promise<boolean> {
    // Only once, and only after the bridge recorded the transfer: a session still streaming would
    // be marked ended by that late write, and the new stream with it.
    const reopened = await this.updateSessionWhen(
      callSid,
      'SET #status = :created, streamTokenHash = :hash, tokenIssuedAt = :at, transferStatus = :dial, transferReturnedAt = :at REMOVE endedAt, endReason',
      '#status = :ended AND endReason = :transferred AND attribute_not_exists(transferReturnedAt)',
      {
        ':created': 'created',
        ':ended': 'ended',
        ':transferred': TRANSFERRED,
        ':hash': reopen.streamTokenHash,
        ':dial': reopen.dialStatus,
        ':at': reopen.at,
      },
    );
    if (!reopened)
      forCall(callSid).warn('The call could not go back to the agent', { dialStatus: reopen.dialStatus });
    return reopened;
  }

  async markEnded(callSid: string, reason: string, at: number, use?: EngineUse): Promise<void> {
    // The engine use rides on the end's write: one request at a call's end instead of two.
    const useSet: string[] = [];
    const useValues: Record<string, unknown> = {};
    if (use) addEngineUse(use, useSet, useValues);
    const withUse = (set: string) => [set, ...useSet].join(', ');
    // The grace period before the sweeper asks Twilio now counts from the stream's end.
    const ended = await this.updateSessionWhen(
      callSid,
      withUse('SET #status = :ended, endedAt = :at, endReason = :reason, sweepSince = :at'),
      '#status IN (:created, :streaming)',
      {
        ':ended': 'ended',
        ':created': 'created',
        ':streaming': 'streaming',
        ':at': at,
        ':reason': reason,
        ...useValues,
      },
    );
    if (ended) return;
    // Finalisation began first (Twilio's status overtook the stream's end): keep how it ended.
    const kept = await this.updateSessionWhen(
      callSid,
      withUse('SET endedAt = :at, endReason = :reason'),
      '#status = :finalising AND attribute_not_exists(endReason)',
      {
        ':finalising': 'finalising',
        ':at': at,
        ':reason': reason,
        ...useValues,
      },
    );
    // Neither end was written (a repeat, a call already finalised): the use is still recorded.
    if (!kept && use) await this.recordEngineUse(callSid, use);
  }

  async markFinalising(callSid: string): Promise<void> {
    await this.updateSessionWhen(
      callSid,
      'SET #status = :finalising',
      '#status IN (:created, :streaming, :ended)',
      {
        ':finalising': 'finalising',
        ':created': 'created',
        ':streaming': 'streaming',
        ':ended': 'ended',
      },
    );
  }

  async markFinalised(callSid: string, at: number): Promise<void> {
    const values = {
      ':finalised': 'finalised',
      ':created': 'created',
      ':streaming': 'streaming',
      ':ended': 'ended',
      ':finalising': 'finalising',
      ':at': at,
      ':reason': FINISHED_WITHOUT_STREAM_END,
    };
    // A call finalised before the bridge saw it end gets its end from Twilio's final status.
    const set =
      'SET #status = :finalised, finalisedAt = :at, endedAt = if_not_exists(endedAt, :at), endReason = if_not_exists(endReason, :reason)';
    const from = '#status IN (:created, :streaming, :ended, :finalising)';
    const left = await this.updateSessionWhen(
      callSid,
      `${set} REMOVE sweepPk, sweepSince`,
      `${from} AND attribute_not_exists(lateTurnMarks)`,
      values,
    );
    if (left) return;
    // Turns landed while finalising: the call stays on the sweeper's index for them.
    await this.updateSessionWhen(callSid, set, from, values);
  }

  async listUnfinalised(before: number, limit: number): Promise<UnfinalisedCall[]> {
    const calls: UnfinalisedCall[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: UNFINALISED_INDEX,
          KeyConditionExpression: 'sweepPk = :pk AND sweepSince <= :before',
          ExpressionAttributeValues: { ':pk': UNFINALISED_PK, ':before': before },
          Limit: limit - calls.length,
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of (page.Items ?? []) as Item[]) calls.push(unfinalisedFromItem(item));
      startKey = page.LastEvaluatedKey;
    } while (startKey && calls.length < limit);
    return calls;
  }

  /** One item, two attributes: asked by the tools before each customer-row write. */
  async callerVerified(callSid: string): Promise<boolean> {
    const { Item: item } = await this.doc.send(
      new GetCommand({
        TableName: this.tableName,
        Key: sessionKey(callSid),
        ProjectionExpression: '#direction, callerVerified',
        ExpressionAttributeNames: { '#direction': 'direction' },
        ConsistentRead: true,
      }),
    );
    if (!item) return false;
    return otherPartyVerified({
      direction: item.direction === 'outbound' ? 'outbound' : 'inbound',
      callerVerified: item.callerVerified === true,
    });
  }

  async get(callSid: string): Promise<CallRecord | undefined> {
    let session: CallSession | undefined;
    const turns: Turn[] = [];
    const toolCalls: ToolCallRecord[] = [];
    const texts: SentText[] = [];
    const items = queryItems(this.doc, {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': callPk(callSid) },
      // The bridge and the finaliser read right after writing: never serve a stale view.
      ConsistentRead: true,
    });
    for await (const item of items as AsyncIterable<Item>) {
      switch (itemKind(item.sk)) {
        case 'session':
          session = sessionFromItem(item);
          break;
        case 'turn':
          turns.push(turnFromItem(item));
          break;
        case 'tool':
          toolCalls.push(toolCallFromItem(item));
          break;
        case 'text':
          texts.push(textFromItem(item));
          break;
        case 'other':
          break;
      }
    }

    // Turns may outlive an expired session for a moment (TTL deletes lazily): no session, no call.
    if (!session) return undefined;
    turns.sort((a, b) => a.seq - b.seq);
    toolCalls.sort((a, b) => a.seq - b.seq);
    texts.sort((a, b) => a.at - b.at);
    return { session, turns, toolCalls, ...(texts.length > 0 ? { texts } : {}) };
  }

  /** SETs `assignments` on the call's session when it exists; false when there is none. */
  private setOnSession(
    callSid: string,
    assignments: string,
    values: Record<string, unknown>,
  ): Promise<boolean> {
    return this.updateSession(callSid, {
      UpdateExpression: `SET ${assignments}`,
      // Never create a session from here: an item without the session's fields would be junk.
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeValues: values,
    });
  }

  /**
   * Updates the call's session when `condition` holds, a condition on its status (named `#status`):
   * false when it does not (a repeat, a status that has moved on).
   */
  private updateSessionWhen(
    callSid: string,
    update: string,
    condition: string,
    values: Record<string, unknown>,
  ): Promise<boolean> {
    return this.updateSession(callSid, {
      UpdateExpression: update,
      ConditionExpression: condition,
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: values,
    });
  }

  /** A conditional update of the call's session: false when its condition said no. */
  private updateSession(
    callSid: string,
    input: Omit<UpdateCommandInput, 'TableName' | 'Key'>,
  ): Promise<boolean> {
    return wrote(this.update({ Key: sessionKey(callSid), ...input }));
  }

  private put(item: Item, condition: string): Promise<unknown> {
    return permanentIfRefused(this.putItem({ Item: item, ConditionExpression: condition }));
  }

  private update(input: Omit<UpdateCommandInput, 'TableName'>): Promise<unknown> {
    return permanentIfRefused(this.updateItem(input));
  }
}
