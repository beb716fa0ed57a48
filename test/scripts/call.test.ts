import { Sha256 } from '@smithy/core/checksum';
import { SignatureV4 } from '@smithy/signature-v4';
import { placeCallThroughApi, regionOfEndpoint, signedCallRequest } from '../../scripts/call.js';
import { perSuite, readThrough } from '../support/per-suite.js';
import { type RecordedRequest, startRecordingServer } from '../support/recording-server.js';

const CREDENTIALS = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
};

type Captured = RecordedRequest;

/** Stands in for API Gateway: records the request and answers as POST /calls does. */
async function startApi() {
  const server = await startRecordingServer(202, { status: 'placed', callSid: `CA${'0'.repeat(32)}` });
  return { url: `${server.baseUrl}/calls`, requests: server.requests, server };
}

/** What the IAM authoriser does: sign the received request again and compare the signatures. */
async function signatureVerifies(request: Captured, host: string, body = request.body): Promise<boolean> {
  const amzDate = String(request.headers['x-amz-date']);
  const signingDate = new Date(
    `${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`,
  );
  const signer = new SignatureV4({
    service: 'execute-api',
    region: 'eu-west-1',
    credentials: CREDENTIALS,
    sha256: Sha256,
  });
  const expected = await signer.sign(
    {
      method: request.method,
      protocol: 'http:',
      hostname: '127.0.0.1',
      path: request.path,
      headers: { host, 'content-type': String(request.headers['content-type']) },
      body,
    },
    { signingDate },
  );
  return expected.headers.authorization === request.headers.authorization;
}

describe('npm run call', () => {
  const api = readThrough(perSuite('the API stand-in', startApi, (started) => started.server.close()));

  test('POSTs the call as JSON with a SigV4 signature for execute-api that verifies, and prints the answer', async () => {
    const answer = await placeCallThroughApi(
      { to: '+15551234567', at: '2026-12-02T10:00', reason: 'quote follow-up', idempotencyKey: 'cli-test-1' },
      { endpoint: api.url, region: 'eu-west-1', credentials: CREDENTIALS },
    );

    expect(answer.status).toBe(202);
    expect(JSON.parse(answer.body)).toMatchObject({ status: 'placed' });
    const [request] = api.requests;
    expect(request).toMatchObject({ method: 'POST', path: '/calls' });
    expect(JSON.parse(request?.body ?? '')).toEqual({
      to: '+15551234567',
      at: '2026-12-02T10:00',
      reason: 'quote follow-up',
      idempotencyKey: 'cli-test-1',
    });
    const authorization = String(request?.headers.authorization);
    expect(authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/execute-api\/aws4_request, SignedHeaders=[a-z0-9;-]*host[a-z0-9;-]*, Signature=[0-9a-f]{64}$/,
    );
    const host = new URL(api.url).host;
    expect(await signatureVerifies(request as Captured, host)).toBe(true);
    // The body is covered: the same signature does not verify for another body.
    expect(await signatureVerifies(request as Captured, host, request?.body.replace('4567', '4568'))).toBe(
      false,
    );
  });

  test('signs the same request identically at the same time (no hidden randomness), differently with other keys', async () => {
    const date = new Date('2026-12-01T12:00:00Z');
    const request = { to: '+15551234567', idempotencyKey: 'k1' };
    const options = {
      endpoint: 'https://abc123.execute-api.eu-west-1.amazonaws.com/calls',
      region: 'eu-west-1',
    };
    const a = await signedCallRequest(request, { ...options, credentials: CREDENTIALS }, date);
    const b = await signedCallRequest(request, { ...options, credentials: CREDENTIALS }, date);
    const c = await signedCallRequest(
      request,
      { ...options, credentials: { ...CREDENTIALS, secretAccessKey: 'another' } },
      date,
    );
    const auth = (r: typeof a) => (r.init.headers as Record<string, string>).authorization;
    expect(auth(a)).toBe(auth(b));
    expect(auth(c)).not.toBe(auth(a));
    expect((a.init.headers as Record<string, string>)['x-amz-date']).toBe('20261201T120000Z');
  });

  test('reads the signing region from an execute-api endpoint', () => {
    expect(regionOfEndpoint('https://abc123.execute-api.eu-west-1.amazonaws.com/calls')).toBe('eu-west-1');
    expect(regionOfEndpoint('https://voice-api.boltplumbing.co.uk/calls')).toBeUndefined();
  });
});
