import { dialTwiml } from '../../../services/adapters/twilio/dial-twiml.js';

describe('dialTwiml', () => {
  it('says one line, dials the number, and ends the call with a line if nobody answers', () => {
    const twiml = dialTwiml({
      to: '+12125550100',
      say: 'Connecting you now.',
      noAnswerSay: 'Nobody is free.',
    });
    expect(twiml).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><Response><Say>Connecting you now.</Say>' +
        '<Dial timeout="25"><Number>+12125550100</Number></Dial><Say>Nobody is free.</Say><Hangup/></Response>',
    );
  });

  it('escapes text that would break the XML', () => {
    const twiml = dialTwiml({
      to: '+12125550100',
      say: 'Hold on',
      noAnswerSay: 'Sorry, nobody at Smith & <Sons> answered.',
    });
    expect(twiml).toContain('<Say>Sorry, nobody at Smith &amp; &lt;Sons&gt; answered.</Say>');
  });
});
