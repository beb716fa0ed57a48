import { connectStreamTwiml, emptyTwiml } from '../../../services/adapters/twilio/twiml.js';

describe('connectStreamTwiml', () => {
  test('connects a bidirectional stream with one Parameter per entry, values escaped', () => {
    const xml = connectStreamTwiml({
      streamUrl: 'wss://voice.example.com/media-stream',
      parameters: { token: 'abc-_123', callSid: 'CA1', note: 'a&b"<c>' },
    });
    expect(xml).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><Response><Connect>' +
        '<Stream url="wss://voice.example.com/media-stream">' +
        '<Parameter name="token" value="abc-_123"/>' +
        '<Parameter name="callSid" value="CA1"/>' +
        '<Parameter name="note" value="a&amp;b&quot;&lt;c>"/>' +
        '</Stream></Connect>' +
        "<Say>Sorry, we're having a technical problem and lost the line. We'll call you back in a few minutes. Goodbye.</Say>" +
        '<Hangup/></Response>',
    );
  });

  test('holds the apology and callback promise after <Connect>, for a stream that ends while the call is up', () => {
    const xml = connectStreamTwiml({ streamUrl: 'wss://voice.example.com/media-stream', parameters: {} });
    const afterConnect = xml.slice(xml.indexOf('</Connect>'));
    expect(afterConnect).toMatch(/^<\/Connect><Say>[^<]*call you back[^<]*<\/Say><Hangup\/><\/Response>$/);
  });
});

describe('emptyTwiml', () => {
  test('is an empty Response', () => {
    expect(emptyTwiml()).toBe('<?xml version="1.0" encoding="UTF-8"?><Response/>');
  });
});
