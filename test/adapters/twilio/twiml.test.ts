import VoiceResponse from 'twilio/lib/twiml/VoiceResponse';
import { connectStreamTwiml, emptyTwiml } from '../../../services/adapters/twilio/twiml.js';
import { outageApology } from '../../../services/core/call/persona.js';

/** The same document from the Twilio SDK's builder: the reference the template must match. */
function builtBySdk(streamUrl: string, parameters: Record<string, string>): string {
  const response = new VoiceResponse();
  const stream = response.connect().stream({ url: streamUrl });
  for (const [name, value] of Object.entries(parameters)) stream.parameter({ name, value });
  response.say(outageApology());
  response.hangup();
  return response.toString();
}

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

describe('connectStreamTwiml with hostile input', () => {
  const hostile = [
    '"/><Redirect>https://evil.example/</Redirect><Parameter name="x',
    'a\'b"c<d>e&f&amp;g',
    'tab\there\nnew line\r\ncarriage',
    ']]><!-- --><?pi?>',
    'emoji 😀 and ünïcödé',
    'control \u0000\u0007 and a lone \ud800 surrogate',
    '',
  ];

  test.each(hostile)('escapes %j exactly as the SDK builder does', (text) => {
    const streamUrl = `wss://voice.example.com/media-stream?${text}`;
    const parameters = { token: text, [text || 'empty']: text };
    expect(connectStreamTwiml({ streamUrl, parameters })).toBe(builtBySdk(streamUrl, parameters));
  });
});

describe('emptyTwiml', () => {
  test('is an empty Response', () => {
    expect(emptyTwiml()).toBe('<?xml version="1.0" encoding="UTF-8"?><Response/>');
  });
});
