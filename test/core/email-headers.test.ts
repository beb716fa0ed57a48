import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryCalendar } from '../../services/adapters/memory/calendar';
import { MemoryCrm } from '../../services/adapters/memory/crm';
import { OutboxMailer } from '../../services/adapters/memory/outbox-mailer';
import { headerSafe } from '../../services/core/email/email-headers';
import { parseBusinessHours } from '../../services/core/shared/business-hours';
import { createToolRunner } from '../../services/core/tools/runner';

describe('headerSafe', () => {
  it.each([
    ['a\r\nBcc: x@y.z', 'aBcc: x@y.z'],
    ['tab\there', 'tabhere'],
    ['nul\u0000del\u007f', 'nuldel'],
    ['unicode\u2028line\u0085next', 'unicodelinenext'],
    ['Ünïcödé stays', 'Ünïcödé stays'],
  ])('%j → %j', (input, expected) => {
    expect(headerSafe(input)).toBe(expected);
  });
});

describe('a follow-up email asked for with CR/LF in its topic', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hdr-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('reaches the outbox with one-line subjects', async () => {
    const mailer = new OutboxMailer({ dir, from: 'Desk <desk@example.com>' });
    const runner = createToolRunner({
      crm: new MemoryCrm({ timezone: 'America/New_York' }),
      calendar: new MemoryCalendar(),
      mailer,
      callControl: {
        redirect: async () => {},
        hangUp: async () => {},
        placeCall: async () => ({ callSid: 'CAx' }),
      },
      business: {
        name: 'Bolt\r\nPlumbing',
        timezone: 'America/New_York',
        hours: parseBusinessHours('mon-fri 09:00-17:00'),
        hoursText: 'mon-fri 09:00-17:00',
      },
      ownerEmail: 'owner@example.com',
      transferTwiml: () => '<Response/>',
    });
    const result = await runner.run({
      callSid: 'CA00000000000000000000000000000001',
      remoteNumber: '+15551230001',
      name: 'send_follow_up_email',
      args: { email: 'jane@example.com', topic: 'prices\r\nBcc: everyone@example.com\tnow' },
    });
    expect(result.ok).toBe(true);
    const sent = await OutboxMailer.read(dir);
    expect(sent).toHaveLength(2);
    for (const message of sent) {
      expect(message.subject).not.toMatch(/[\r\n\t]/);
      expect(message.to).not.toMatch(/[\r\n\t]/);
    }
    expect(sent.map((m) => m.subject)).toContain('BoltPlumbing: pricesBcc: everyone@example.comnow');
  });
});
