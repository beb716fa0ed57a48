import { voicemailTwiml } from '../../../services/adapters/twilio/voicemail-twiml.js';

describe('voicemailTwiml', () => {
  test('says the message once, then hangs up; XML special characters are escaped', () => {
    expect(voicemailTwiml('Hello from Smith & Sons. Call <us> back.')).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><Response><Say>Hello from Smith &amp; Sons. Call &lt;us&gt; back.</Say><Hangup/></Response>',
    );
  });
});
