import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';

/** A JSON answer on the setup path is a few hundred bytes; past this the server is not the one meant. */
export const MAX_ANSWER_CHARS = 64 * 1024;

export interface JsonAnswer {
  status: number;
  /** The body parsed as JSON; undefined when it is not JSON. */
  body: unknown;
}

/**
 * One GET of a JSON document, on a call's setup path. Node's own HTTP client rather than the
 * runtime's fetch: per request fetch builds WHATWG streams, `Headers`, a `Request` and a `Response`,
 * and measured on the bench's setup probe it cost each call's setup ~1.7 ms more CPU. Rejects on a
 * network error, when `signal` aborts or when the answer passes MAX_ANSWER_CHARS; redirects are not
 * followed (a 3xx is an answer).
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
      // Node's global agents keep connections alive between calls and drop one idle for 5 s, before
      // a server would close it under a request.
      { headers, signal },
      (response: IncomingMessage) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          text += chunk;
          if (text.length > MAX_ANSWER_CHARS) {
            request.destroy(new Error(`the answer passed ${MAX_ANSWER_CHARS} characters`));
          }
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
