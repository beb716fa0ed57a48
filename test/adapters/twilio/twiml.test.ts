import VoiceResponse from 'twilio/lib/twiml/VoiceResponse';
import { connectStreamTwiml, emptyTwiml, fallbackTwiml } from '../../../services/adapters/twilio/twiml.js';
import { fallbackApology, outageApology } from '../../../services/core/call/persona.js';

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

  const legalInXml = hostile.filter(
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the characters the SDK builder refuses
    (text) => !/[\u0000-\u0008]|[\ud800-\udbff](?![\udc00-\udfff])/.test(text),
  );
  test.each(legalInXml)(
    'writes the fallback for a business named %j exactly as the SDK builder does',
    (name) => {
      const response = new VoiceResponse();
      response.say(fallbackApology(name));
      response.hangup();
      expect(fallbackTwiml(name)).toBe(response.toString());
    },
  );

  test('drops the characters XML cannot hold from the apology, where the SDK builder throws', () => {
    const name = 'Acme\u0000 Plumbing\u0007 \ud800Ltd\uffff';
    expect(() => new VoiceResponse().say(fallbackApology(name))).toThrow(/Invalid character/);
    expect(fallbackTwiml(name)).toBe(fallbackTwiml('Acme Plumbing Ltd'));
  });
});

describe('emptyTwiml', () => {
  test('is an empty Response, as the SDK builder writes it', () => {
    expect(emptyTwiml()).toBe('<?xml version="1.0" encoding="UTF-8"?><Response/>');
    expect(emptyTwiml()).toBe(new VoiceResponse().toString());
  });
});

describe('fallbackTwiml', () => {
  test('apologises with a callback promise, then hangs up', () => {
    expect(fallbackTwiml('Acme Plumbing')).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><Response>' +
        "<Say>Thanks for calling Acme Plumbing. Sorry, we can't take your call right now. " +
        "We have your number and we'll call you back as soon as we can. Goodbye.</Say><Hangup/></Response>",
    );
  });
});
