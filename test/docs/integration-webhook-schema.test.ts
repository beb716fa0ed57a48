import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { callCompletedEvent, signatureHeader } from '../../services/core/after-call/integration-webhook.js';
import type { CallRow } from '../../services/core/ports/crm.js';

const SCHEMA = JSON.parse(
  readFileSync(join(__dirname, '../../docs/integration-webhook.schema.json'), 'utf8'),
) as object;
const DOC = readFileSync(join(__dirname, '../../docs/integration-webhook.md'), 'utf8');

function validator() {
  const ajv = new Ajv({ allErrors: true, strict: true });
  ajv.addFormat('date-time', /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/);
  ajv.addFormat('uri', (value: string) => URL.canParse(value));
  return ajv.compile(SCHEMA);
}

const T0 = Date.UTC(2026, 11, 6, 15);
const row: CallRow = {
  callSid: 'CA0123456789abcdef0123456789abcdef',
  direction: 'outbound',
  from: '+15550001111',
  to: '+12125550123',
  failedOver: false,
  startedAt: T0,
  outcome: 'engine-outage',
  turns: [],
};

describe('docs/integration-webhook.schema.json', () => {
  it('accepts the events the code sends: a bare one and a full one', () => {
    const validate = validator();
    for (const event of [
      callCompletedEvent({ row, links: {} }, T0),
      callCompletedEvent(
        {
          row: {
            ...row,
            servedBy: 'openai',
            durationSeconds: 42,
            summary: 'x',
            cost: { currency: 'USD', total: 0.1, twilio: { minutes: 1, amount: 0.01 }, engines: [] },
            recording: {
              status: 'recorded',
              url: 'https://b.s3.amazonaws.com/recordings/r.wav?X-Amz-Signature=1',
            },
          },
          links: {
            lead: { id: 'l', customerId: 'c', name: 'Ada', phone: '+12125550123', createdAt: T0 },
            appointment: {
              id: 'a',
              customerId: 'c',
              start: T0,
              end: T0 + 1,
              calendarEventId: 'e',
              name: 'Ada',
              phone: '+12125550123',
              createdAt: T0,
            },
          },
        },
        T0,
      ),
    ]) {
      expect(validate(JSON.parse(JSON.stringify(event)))).toBe(true);
      expect(validate.errors ?? []).toEqual([]);
    }
  });

  it('refuses what a receiver must not get: an unknown field, a phone number field', () => {
    const validate = validator();
    const event = JSON.parse(JSON.stringify(callCompletedEvent({ row, links: {} }, T0))) as {
      data: Record<string, unknown>;
    };
    expect(validate({ ...event, data: { ...event.data, from: '+12125550123' } })).toBe(false);
  });

  it('is the schema the docs page names', () => {
    expect(DOC).toContain('(integration-webhook.schema.json)');
  });
});

describe("the docs page's verification snippet", () => {
  // The page's own JavaScript, run as a receiver would paste it.
  const snippet = /```js\n([\s\S]*?)```/.exec(DOC)?.[1] ?? '';
  const verify = new Function('require', `${snippet}\nreturn verifyBoltSignature;`)(require) as (
    body: string,
    header: string,
    secret: string,
  ) => boolean;
  const secret = 'whsec_docs_snippet_0123456789';
  const body = JSON.stringify(callCompletedEvent({ row, links: {} }, Date.now()));

  it('accepts what the code signs, and refuses a changed body, another secret or an old timestamp', () => {
    const now = Math.floor(Date.now() / 1000);
    expect(verify(body, signatureHeader(secret, body, now), secret)).toBe(true);
    expect(verify(`${body} `, signatureHeader(secret, body, now), secret)).toBe(false);
    expect(verify(body, signatureHeader('another_secret_0123456789', body, now), secret)).toBe(false);
    expect(verify(body, signatureHeader(secret, body, now - 600), secret)).toBe(false);
  });
});
