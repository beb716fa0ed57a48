/**
 * What every call store promises (the ports in services/core/ports/call-store.ts): the session
 * lifecycle moves forward only, each step a conditional write a retry cannot undo; finalisation
 * state is begun once, advanced one step at a time, and listed until done; the first frozen email
 * and the latest post-call analysis win; an outbound request is placed once per key, retried only
 * after it failed, and taken over only when its lease ran out.
 */
import type { NewCallSession } from '../../services/core/call/call-session.js';
import { OUTBOUND_LEASE_MS } from '../../services/core/outbound/place-call.js';
import type {
  CallSessionStore,
  FinalisationStore,
  OutboundRequestStore,
  PostCallAnalysis,
  PostCallAnalysisStore,
} from '../../services/core/ports/call-store.js';

export interface CallStores {
  sessions: Pick<CallSessionStore, 'get' | 'open' | 'markEnded' | 'markFinalising' | 'markFinalised'>;
  finalisations: FinalisationStore & PostCallAnalysisStore;
  outbound: OutboundRequestStore;
}

const T0 = Date.UTC(2026, 10, 25, 14, 12, 0);
const CALL_SID = `CA${'c'.repeat(32)}`;

const newSession = (streamTokenHash = 'a'.repeat(64)): NewCallSession => ({
  callSid: CALL_SID,
  direction: 'inbound',
  from: '+12125550123',
  to: '+12125550100',
  provider: 'elevenlabs',
  streamTokenHash,
  createdAt: T0,
});

const analysis = (eventAt: number, summary: string): PostCallAnalysis => ({
  callSid: CALL_SID,
  conversationId: 'conv_1',
  summary,
  dataCollection: {},
  eventAt,
  receivedAt: eventAt + 1_000,
});

export function describeCallStoreContract(name: string, makeStores: () => Promise<CallStores>): void {
  describe(`call store contract: ${name}`, () => {
    describe('sessions', () => {
      test('an opened session reads back as created; an unknown one is not there', async () => {
        const { sessions } = await makeStores();
        expect(await sessions.open(newSession())).toBe(true);
        expect((await sessions.get(CALL_SID))?.session).toMatchObject({ ...newSession(), status: 'created' });
        expect(await sessions.get(`CA${'0'.repeat(32)}`)).toBeUndefined();
      });

      test('a retried open before streaming takes the new token; after the call ended it is refused', async () => {
        const { sessions } = await makeStores();
        await sessions.open(newSession());
        expect(await sessions.open(newSession('b'.repeat(64)))).toBe(true);
        expect((await sessions.get(CALL_SID))?.session.streamTokenHash).toBe('b'.repeat(64));
        await sessions.markEnded(CALL_SID, 'caller-hung-up', T0 + 60_000);
        expect(await sessions.open(newSession('c'.repeat(64)))).toBe(false);
        expect((await sessions.get(CALL_SID))?.session).toMatchObject({
          status: 'ended',
          endReason: 'caller-hung-up',
          endedAt: T0 + 60_000,
          streamTokenHash: 'b'.repeat(64),
        });
      });

      test('finalising then finalised; a repeat changes nothing and the session never goes back', async () => {
        const { sessions } = await makeStores();
        await sessions.open(newSession());
        await sessions.markEnded(CALL_SID, 'caller-hung-up', T0 + 60_000);
        await sessions.markFinalising(CALL_SID);
        expect((await sessions.get(CALL_SID))?.session.status).toBe('finalising');
        await sessions.markFinalised(CALL_SID, T0 + 90_000);
        await sessions.markFinalised(CALL_SID, T0 + 95_000);
        await sessions.markFinalising(CALL_SID);
        await sessions.markEnded(CALL_SID, 'late', T0 + 99_000);
        expect((await sessions.get(CALL_SID))?.session).toMatchObject({
          status: 'finalised',
          finalisedAt: T0 + 90_000,
          endReason: 'caller-hung-up',
          endedAt: T0 + 60_000,
        });
      });

      test('a call finalised before the bridge said it ended still gets an end', async () => {
        const { sessions } = await makeStores();
        await sessions.open(newSession());
        await sessions.markFinalising(CALL_SID);
        await sessions.markEnded(CALL_SID, 'caller-hung-up', T0 + 60_000);
        await sessions.markFinalised(CALL_SID, T0 + 90_000);
        expect((await sessions.get(CALL_SID))?.session).toMatchObject({
          status: 'finalised',
          endReason: 'caller-hung-up',
          endedAt: T0 + 60_000,
        });
      });
    });

    describe('finalisation state', () => {
      const input = {
        callSid: CALL_SID,
        status: 'completed' as const,
        durationSeconds: 95,
        at: T0 + 130_000,
      };

      test('begun once: a second begin answers the state that stands', async () => {
        const { finalisations } = await makeStores();
        const first = await finalisations.begin(input, T0 + 130_000);
        expect(first).toEqual({
          created: true,
          state: { ...input, step: 'pending', attempts: 0, updatedAt: T0 + 130_000 },
        });
        await finalisations.recordAttempt(CALL_SID, T0 + 131_000, 'CRM unavailable');
        const again = await finalisations.begin({ ...input, durationSeconds: 1 }, T0 + 140_000);
        expect(again.created).toBe(false);
        expect(again.state).toMatchObject({ durationSeconds: 95, attempts: 1, lastError: 'CRM unavailable' });
        expect(await finalisations.get(`CA${'0'.repeat(32)}`)).toBeUndefined();
      });

      test('advances one step at a time, only from the step it is at; listed until done', async () => {
        const { finalisations } = await makeStores();
        await finalisations.begin(input, T0);
        expect(await finalisations.listPending(10)).toEqual([CALL_SID]);
        expect(
          await finalisations.advance(CALL_SID, 'pending', 'crm-saved', T0 + 1, { summarySource: 'turns' }),
        ).toBe(true);
        expect(await finalisations.advance(CALL_SID, 'pending', 'crm-saved', T0 + 2)).toBe(false);
        expect(await finalisations.get(CALL_SID)).toMatchObject({
          step: 'crm-saved',
          summarySource: 'turns',
        });
        expect(await finalisations.advance(CALL_SID, 'crm-saved', 'emailed', T0 + 3)).toBe(true);
        expect(await finalisations.listPending(10)).toEqual([CALL_SID]);
        expect(await finalisations.advance(CALL_SID, 'emailed', 'done', T0 + 4)).toBe(true);
        expect(await finalisations.get(CALL_SID)).toMatchObject({ step: 'done', updatedAt: T0 + 4 });
        expect(await finalisations.listPending(10)).toEqual([]);
      });

      test('an attempt is counted; a successful one clears the last error', async () => {
        const { finalisations } = await makeStores();
        await finalisations.begin(input, T0);
        await finalisations.recordAttempt(CALL_SID, T0 + 1, 'mail service unavailable');
        expect(await finalisations.get(CALL_SID)).toMatchObject({
          attempts: 1,
          lastError: 'mail service unavailable',
        });
        await finalisations.recordAttempt(CALL_SID, T0 + 2);
        const state = await finalisations.get(CALL_SID);
        expect(state).toMatchObject({ attempts: 2, updatedAt: T0 + 2 });
        expect(state?.lastError).toBeUndefined();
      });

      test('the first frozen email is the one sent, whatever a retry composes', async () => {
        const { finalisations } = await makeStores();
        await finalisations.begin(input, T0);
        const first = { to: 'owner@example.com', subject: 'Call', text: 'First draft', idempotencyKey: 'k1' };
        expect(await finalisations.freezeEmail(CALL_SID, first)).toEqual(first);
        expect(await finalisations.freezeEmail(CALL_SID, { ...first, text: 'Second draft' })).toEqual(first);
      });

      test('the latest post-call analysis wins; an older or repeated event is not stored', async () => {
        const { finalisations } = await makeStores();
        expect(await finalisations.getAnalysis(CALL_SID)).toBeUndefined();
        expect(await finalisations.saveAnalysis(analysis(T0 + 10, 'first'))).toEqual({ stored: true });
        expect(await finalisations.saveAnalysis(analysis(T0 + 20, 'second'))).toEqual({ stored: true });
        expect(await finalisations.saveAnalysis(analysis(T0 + 20, 'repeat'))).toEqual({ stored: false });
        expect(await finalisations.saveAnalysis(analysis(T0 + 5, 'stale'))).toEqual({ stored: false });
        expect(await finalisations.getAnalysis(CALL_SID)).toEqual(analysis(T0 + 20, 'second'));
      });
    });

    describe('outbound requests', () => {
      const request = {
        idempotencyKey: 'req-1',
        to: '+12125550123',
        from: '+12125550100',
        reason: 'Confirm Thursday',
        provider: 'openai' as const,
        createdAt: T0,
      };

      test('created once per key, placing under a lease; a repeat answers the stored request', async () => {
        const { outbound } = await makeStores();
        const stored = { ...request, status: 'placing', leaseUntil: T0 + OUTBOUND_LEASE_MS };
        expect(await outbound.create(request)).toEqual({ created: true, request: stored });
        expect(await outbound.create({ ...request, reason: 'Other' })).toEqual({
          created: false,
          request: stored,
        });
        expect(await outbound.get('req-1')).toEqual(stored);
        expect(await outbound.get('req-unknown')).toBeUndefined();
      });

      test('placed: the call is recorded, the lease and any error gone, and no takeover', async () => {
        const { outbound } = await makeStores();
        await outbound.create(request);
        await outbound.markPlaced('req-1', CALL_SID);
        expect(await outbound.get('req-1')).toEqual({ ...request, status: 'placed', callSid: CALL_SID });
        expect(
          await outbound.takeOver('req-1', T0 + 10 * OUTBOUND_LEASE_MS, T0 + 11 * OUTBOUND_LEASE_MS),
        ).toBe(false);
      });

      test('a failed request may be created again with the same key', async () => {
        const { outbound } = await makeStores();
        await outbound.create(request);
        await outbound.markFailed('req-1', 'Twilio 503');
        expect(await outbound.get('req-1')).toMatchObject({ status: 'failed', error: 'Twilio 503' });
        const again = await outbound.create({ ...request, createdAt: T0 + 60_000 });
        expect(again.created).toBe(true);
        expect(again.request).toMatchObject({
          status: 'placing',
          leaseUntil: T0 + 60_000 + OUTBOUND_LEASE_MS,
        });
      });

      test('taken over only once the lease ran out, and then by one run', async () => {
        const { outbound } = await makeStores();
        await outbound.create(request);
        const expired = T0 + OUTBOUND_LEASE_MS + 1;
        expect(await outbound.takeOver('req-1', T0 + 1, T0 + 2 * OUTBOUND_LEASE_MS)).toBe(false);
        expect(await outbound.takeOver('req-1', expired, expired + OUTBOUND_LEASE_MS)).toBe(true);
        expect(await outbound.takeOver('req-1', expired, expired + OUTBOUND_LEASE_MS)).toBe(false);
        expect(await outbound.get('req-1')).toMatchObject({ leaseUntil: expired + OUTBOUND_LEASE_MS });
      });
    });
  });
}
