import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A stand-in for the slice of Twilio's REST API the product uses (`TWILIO_API_URL`): create a call,
 * update a call (redirect with `Twiml`, hang up with `Status=completed`). It checks Basic auth and
 * records every request as the real SDK sent it, answering in Twilio's JSON shape.
 */
export interface TwilioRestRequest {
  method: string;
  path: string;
  callSid?: string;
  form: Record<string, string>;
}

export interface TwilioRestSim {
  url: string;
  requests: TwilioRestRequest[];
  /** Calls that Twilio reports as over: updating them answers 404 / 20404. */
  endedCalls: Set<string>;
  close(): Promise<void>;
}

export async function startTwilioRestSim(options: {
  accountSid: string;
  authToken: string;
}): Promise<TwilioRestSim> {
  const requests: TwilioRestRequest[] = [];
  const endedCalls = new Set<string>();
  const expectedAuth = `Basic ${Buffer.from(`${options.accountSid}:${options.authToken}`).toString('base64')}`;
  let created = 0;
  const server = createServer(async (req, res) => {
    const form = Object.fromEntries(new URLSearchParams(await body(req)));
    const path = (req.url ?? '').split('?')[0] ?? '';
    const reply = (status: number, json: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(json));
    };
    if (req.headers.authorization !== expectedAuth)
      return reply(401, { code: 20003, message: 'Authenticate', status: 401 });
    const base = `/2010-04-01/Accounts/${options.accountSid}/Calls`;
    if (req.method === 'POST' && path === `${base}.json`) {
      const callSid = `CA${(++created).toString(16).padStart(32, '0')}`;
      requests.push({ method: 'POST', path, callSid, form });
      return reply(201, { sid: callSid, status: 'queued', to: form.To, from: form.From });
    }
    const update = new RegExp(`^${base}/(CA[0-9a-f]{32})\\.json$`).exec(path);
    if (req.method === 'POST' && update) {
      const callSid = update[1] ?? '';
      requests.push({ method: 'POST', path, callSid, form });
      if (endedCalls.has(callSid))
        return reply(404, { code: 20404, message: 'The requested resource was not found', status: 404 });
      if (form.Status === 'completed') endedCalls.add(callSid);
      return reply(200, { sid: callSid, status: form.Status ?? 'in-progress' });
    }
    return reply(404, { code: 20404, message: 'not found', status: 404 });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    endedCalls,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function body(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
