/**
 * Helpers for API Gateway HTTP API (payload v2) events, shared by every webhook handler and fed the
 * same events by the local stack.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

export type HttpResult = APIGatewayProxyStructuredResultV2;
/** A webhook handler: the Lambda runtime passes a context as well, which none of ours needs. */
export type HttpHandler = (event: APIGatewayProxyEventV2) => Promise<HttpResult>;

/** The body as text; API Gateway base64-encodes bodies it considers binary (form posts included). */
export function rawBody(event: APIGatewayProxyEventV2): string {
  if (event.body === undefined) return '';
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
}

/** `application/x-www-form-urlencoded`; a name sent more than once keeps every value, in order. */
export function parseForm(body: string): Record<string, string | string[]> {
  const form: Record<string, string | string[]> = {};
  for (const [name, value] of new URLSearchParams(body)) {
    const seen = form[name];
    if (seen === undefined) form[name] = value;
    else form[name] = Array.isArray(seen) ? [...seen, value] : [seen, value];
  }
  return form;
}

/** A request header by name, whatever its case (API Gateway lower-cases them; other callers may not). */
export function header(event: APIGatewayProxyEventV2, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === wanted) return value;
  }
  return undefined;
}

export function twimlResponse(xml: string): HttpResult {
  return { statusCode: 200, headers: { 'content-type': 'text/xml; charset=utf-8' }, body: xml };
}

export function jsonResponse(statusCode: number, body: unknown): HttpResult {
  return {
    statusCode,
    headers: { 'content-type': 'application/json; charset=utf-8' },
    body: JSON.stringify(body),
  };
}

export function textResponse(statusCode: number, text: string): HttpResult {
  return { statusCode, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: text };
}

/** A refusal that tells the caller nothing about why (the reason goes to the log). */
export function forbidden(): HttpResult {
  return textResponse(403, 'Forbidden');
}
