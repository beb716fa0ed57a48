import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

export interface JsonAnswer {
  status: number;
  /** The body parsed as JSON; undefined when it is not JSON. */
  body: unknown;
}

// Connections are reused between calls, as the runtime's fetch would reuse them.
const agents = { http: new HttpAgent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true }) };

/**
 * One GET of a JSON document, on a call's setup path. Node's own HTTP client rather than the
 * runtime's fetch: per request fetch builds WHATWG streams, `Headers`, a `Request` and a `Response`,
 * and measured on the bench's setup probe it cost each call's setup ~1.7 ms more CPU. Rejects on a
 * network error or when `signal` aborts; redirects are not followed (a 3xx is an answer).
 */
export function getJson(
  url: string,
  headers: Record<string, string>,
  signal: AbortSignal,
): Promise<JsonAnswer> {
  const target = new URL(url);
  const secure = target.protocol === 'https:';
  const send = secure ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const request = send(
      target,
      { headers, signal, agent: secure ? agents.https : agents.http },
      (response: IncomingMessage) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          text += chunk;
        });
        response.on('error', reject);
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: parsedJson(text) }));
      },
    );
    request.on('error', reject);
    request.end();
  });
}

function parsedJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
