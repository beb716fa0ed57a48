/**
 * The after-call wiring's split: finalisation's missed-call text-back is built by its own part, so
 * the functions that never finalise do not bundle the Twilio REST client (test/architecture/
 * lambda-bundles.test.ts), while the ones that finalise still text back missed callers.
 */

import { MemoryCallSessionStore } from '../../services/adapters/memory/call-session-store.js';
import { MemoryCrm } from '../../services/adapters/memory/crm.js';
import { MemoryDigestMarkers } from '../../services/adapters/memory/digest-markers.js';
import { MemoryFinalisationStore } from '../../services/adapters/memory/finalisation-store.js';
import { OutboxMailer } from '../../services/adapters/memory/outbox-mailer.js';
import { TwilioTexts } from '../../services/adapters/twilio/sms.js';
import { loadConfig } from '../../services/core/shared/config.js';
import { InProcessUsageCounter } from '../../services/core/tools/tool-usage.js';
import { type AfterCallStores, afterCallDepsFor } from '../../services/wiring/parts/after-call.js';
import { missedCallTextsFor } from '../../services/wiring/parts/missed-call-texts.js';
import { testEnv } from '../support/twilio.js';

function stores(usage?: InProcessUsageCounter): AfterCallStores {
  return {
    sessions: new MemoryCallSessionStore(),
    finalisations: new MemoryFinalisationStore(),
    markers: new MemoryDigestMarkers(),
    usage,
  };
}

describe('missedCallTextsFor', () => {
  test('texts through Twilio from the business number when texts are on and usage is counted', () => {
    const config = loadConfig(testEnv({ SMS_ENABLED: 'true' }));
    const texts = missedCallTextsFor(config, stores(new InProcessUsageCounter()), Date.now);
    expect(texts?.businessNumber).toBe('+15550001111');
    expect(texts?.texts.sender).toBeInstanceOf(TwilioTexts);
  });

  test.each([
    ['texts are off', 'false', new InProcessUsageCounter()],
    ['usage is not counted', 'true', undefined],
  ])('is absent when %s', (_case, enabled, usage) => {
    const config = loadConfig(testEnv({ SMS_ENABLED: enabled }));
    expect(missedCallTextsFor(config, stores(usage), Date.now)).toBeUndefined();
  });
});

test('afterCallDepsFor leaves the text-back to its own part', () => {
  const config = loadConfig(testEnv());
  const adapters = {
    crm: new MemoryCrm({ timezone: 'UTC' }),
    mailer: new OutboxMailer({ dir: '/tmp/unused', from: 'a@example.com' }),
  };
  const deps = afterCallDepsFor(config, adapters, stores(new InProcessUsageCounter()));
  expect(deps.missedCallTexts).toBeUndefined();
});
