import type { IncomingMessage } from 'node:http';
import { text } from 'node:stream/consumers';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { getExpectedTwilioSignature, validateRequest } from 'twilio/lib/webhooks/webhooks';

export const TEST_ACCOUNT_SID = 'AC0123456789ABCDEF0123456789ABCDEF';
export const TEST_AUTH_TOKEN = 'test-auth-token';

/** The environment a test stack or handler starts from (values are fake). */
export function testEnv(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    PUBLIC_URL: 'https://voice.example.com',
    TWILIO_ACCOUNT_SID: TEST_ACCOUNT_SID,
    TWILIO_AUTH_TOKEN: TEST_AUTH_TOKEN,
    TWILIO_PHONE_NUMBER: '+15550001111',
    ...overrides,
  };
}

/** A random-looking CallSid (CA + 32 hex). */
export function callSid(n: number): string {
  return `CA${n.toString(16).padStart(32, '0')}`;
}

/** The form Twilio posts to the voice URL of a new inbound call. */
export function inboundForm(sid: string, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    AccountSid: TEST_ACCOUNT_SID,
    ApiVersion: '2010-04-01',
    CallSid: sid,
    CallStatus: 'ringing',
    Called: '+15550001111',
    Direction: 'inbound',
    From: '+15551230001',
    To: '+15550001111',
    ...overrides,
  };
}

/** Signs a form the way Twilio does, for `url` (the public URL Twilio was configured with). */
export function signForm(url: string, form: Record<string, string>, authToken = TEST_AUTH_TOKEN): string {
  return getExpectedTwilioSignature(authToken, url, form);
}

/** An API Gateway v2 event carrying a form post, base64-encoded as API Gateway sends it. */
export function formEvent(
  path: string,
  form: Record<string, string>,
  headers: Record<string, string> = {},
): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: `POST ${path}`,
    rawPath: path,
    rawQueryString: '',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    isBase64Encoded: true,
    body: Buffer.from(new URLSearchParams(form).toString()).toString('base64'),
    requestContext: {
      accountId: 'anonymous',
      apiId: 'test',
      domainName: 'voice.example.com',
      domainPrefix: 'voice',
      http: {
        method: 'POST',
        path,
        protocol: 'HTTP/1.1',
        sourceIp: '127.0.0.1',
        userAgent: 'TwilioProxy/1.1',
      },
      requestId: 'req-1',
      routeKey: `POST ${path}`,
      stage: '$default',
      time: '25/Nov/2026:14:00:00 +0000',
      timeEpoch: 0,
    },
  };
}

/** `<Parameter name="x" value="y"/>` pairs and the Stream url of a TwiML answer. */
export function readStreamTwiml(xml: string): { streamUrl?: string; parameters: Record<string, string> } {
  const streamUrl = /<Connect><Stream url="([^"]*)"/.exec(xml)?.[1];
  const parameters: Record<string, string> = {};
  for (const match of xml.matchAll(/<Parameter name="([^"]*)" value="([^"]*)"\/>/g)) {
    parameters[match[1] as string] = match[2] as string;
  }
  return { streamUrl, parameters };
}

/**
 * A form Twilio posted to a test server, and whether its X-Twilio-Signature is valid for the
 * request's path under `publicUrl` (the address Twilio was given).
 */
export async function receivedTwilioForm(
  req: IncomingMessage,
  publicUrl: string,
  authToken: string,
): Promise<{ params: Record<string, string>; signatureValid: boolean }> {
  const params = Object.fromEntries(new URLSearchParams(await text(req)));
  const signature = req.headers['x-twilio-signature'];
  const signatureValid =
    typeof signature === 'string' && validateRequest(authToken, signature, `${publicUrl}${req.url}`, params);
  return { params, signatureValid };
}
