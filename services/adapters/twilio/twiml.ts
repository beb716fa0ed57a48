import { fallbackApology, outageApology } from '../../core/call/persona.js';

export interface ConnectStreamOptions {
  /** The `wss://` URL of the bridge; Twilio strips query strings, so data goes in `parameters`. */
  streamUrl: string;
  /** Arrive at the bridge as `start.customParameters`. */
  parameters: Record<string, string>;
}

/**
 * `<Response><Connect><Stream url><Parameter name value/>…</Stream></Connect><Say>apology</Say><Hangup/></Response>`.
 *
 * Twilio runs the verbs after `<Connect>` only when the stream ends while the call is still up: the
 * bridge closed it because no engine is left, or the bridge task died. Every normal end leaves the
 * document first (the caller hangs up; `end_call` and the engine's goodbye hang up through the REST
 * API; a transfer redirects the call to new TwiML), so the apology and callback promise play exactly
 * when the conversation broke.
 */
export function connectStreamTwiml(options: ConnectStreamOptions): string {
  // From a template: the SDK's builder costs about a millisecond of CPU per document (measured,
  // every inbound call), and this document's shape never changes. Escaped as the builder escapes.
  let parameters = '';
  for (const [name, value] of Object.entries(options.parameters)) {
    parameters += `<Parameter name="${xmlAttribute(name)}" value="${xmlAttribute(value)}"/>`;
  }
  return `${XML_DECLARATION}<Response><Connect><Stream url="${xmlAttribute(options.streamUrl)}">${parameters}</Stream></Connect><Say>${xmlText(outageApology())}</Say><Hangup/></Response>`;
}

const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>';
const ATTRIBUTE_SPECIAL = /[&<"\t\n\r]/g;
const TEXT_SPECIAL = /[&<>\r]/g;
const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  '\t': '&#x9;',
  '\n': '&#xA;',
  '\r': '&#xD;',
};

/** An attribute value as the SDK's builder (xmlbuilder, through Twilio's attribute stringifier) writes it. */
function xmlAttribute(value: string): string {
  return value.replace(ATTRIBUTE_SPECIAL, (c) => ENTITIES[c] ?? c);
}

// Characters XML 1.0 forbids: controls other than tab, newline and return; U+FFFE/FFFF; lone surrogates.
const NOT_XML_CHARACTER =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is removed
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * Element text as the SDK's builder writes it, except that characters XML cannot hold are dropped
 * where the builder throws (a business name pasted with a control character must not turn the
 * apology into an error).
 */
function xmlText(value: string): string {
  return value.replace(NOT_XML_CHARACTER, '').replace(TEXT_SPECIAL, (c) => ENTITIES[c] ?? c);
}

/** A response that does nothing further on the call: Twilio hangs up when it runs out of TwiML. */
export function emptyTwiml(): string {
  return `${XML_DECLARATION}<Response/>`;
}

/**
 * The number's fallback: an apology with a callback promise, then hang up. From a template like the
 * stream's: the SDK's builder (xmlbuilder, ~75 KiB of the bundle) is what the page of last resort
 * would otherwise load on every cold start, for a document whose shape never changes.
 */
export function fallbackTwiml(businessName: string): string {
  return `${XML_DECLARATION}<Response><Say>${xmlText(fallbackApology(businessName))}</Say><Hangup/></Response>`;
}
