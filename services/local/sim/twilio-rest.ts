import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { text } from 'node:stream/consumers';

/**
 * A stand-in for the slice of Twilio's REST API the product uses (`TWILIO_API_URL`): create a call,
 * update a call (redirect with `Twiml`, hang up with `Status=completed`), fetch a call and list calls
 * by number (the finalisation sweeper and the outbound lease), and send a text (`Messages.json`,
 * recorded in `texts`). It checks Basic auth and records every
 * request as the real SDK sent it, answering in Twilio's JSON shape (snake_case, RFC 2822 dates,
 * `duration` as a string). `failNext` makes the next requests fail, for fault-injection tests.
 */
export interface TwilioRestRequest {
  method: string;
  path: string;
  callSid?: string;
  form: Record<string, string>;
}

/** A call as the simulated account knows it. */
export interface SimCall {
  sid: string;
  status: string;
  from: string;
  to: string;
  direction: 'inbound' | 'outbound-api' | 'outbound-dial';
  /** Seconds, once over. */
  duration?: number;
  dateCreated: number;
  startTime?: number;
  endTime?: number;
}

/** A text as the simulated account accepted it. */
export interface SimText {
  sid: string;
  to: string;
  /** `From`, or absent when a Messaging Service sends. */
  from?: string;
  messagingServiceSid?: string;
  body: string;
  dateCreated: number;
}

export interface TwilioRestSim {
  url: string;
  requests: TwilioRestRequest[];
  /** Every text sent through the account, in order. */
  texts: SimText[];
  /** Calls that Twilio reports as over: updating them answers 404 / 20404. */
  endedCalls: Set<string>;
  /** Every call the account knows: those created through the API, and any a test puts here. */
  calls: Map<string, SimCall>;
  /** Puts (or replaces) a call, e.g. an inbound call that "happened" on Twilio. */
  setCall(call: Omit<SimCall, 'dateCreated'> & { dateCreated?: number }): void;
  /** The next `count` requests answer `status` (default 500) with Twilio's error body. */
  failNext(count: number, status?: number): void;
  close(): Promise<void>;
}

export async function startTwilioRestSim(options: {
  accountSid: string;
  authToken: string;
}): Promise<TwilioRestSim> {
  const requests: TwilioRestRequest[] = [];
  const endedCalls = new Set<string>();
  const calls = new Map<string, SimCall>();
  const texts: SimText[] = [];
  const failures = { remaining: 0, status: 500 };
  const expectedAuth = `Basic ${Buffer.from(`${options.accountSid}:${options.authToken}`).toString('base64')}`;
  let created = 0;
  const server = createServer(async (req, res) => {
    const form = Object.fromEntries(new URLSearchParams(await text(req)));
    const path = (req.url ?? '').split('?')[0] ?? '';
    const reply = (status: number, json: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(json));
    };
    if (req.headers.authorization !== expectedAuth)
      return reply(401, { code: 20003, message: 'Authenticate', status: 401 });
    const query = Object.fromEntries(new URL(req.url ?? '/', 'http://sim').searchParams);
    const base = `/2010-04-01/Accounts/${options.accountSid}/Calls`;
    const one = new RegExp(`^${base}/(CA[0-9a-f]{32})\\.json$`).exec(path);
    const callSid = one?.[1];
    requests.push({ method: req.method ?? '', path, callSid, form: req.method === 'GET' ? query : form });
    if (failures.remaining > 0) {
      failures.remaining -= 1;
      return reply(failures.status, {
        code: 20500,
        message: 'Internal Server Error',
        status: failures.status,
      });
    }
    const messages = `/2010-04-01/Accounts/${options.accountSid}/Messages.json`;
    if (req.method === 'POST' && path === messages) {
      // Twilio's own checks: a recipient, a body, and exactly one sender.
      if (!form.To || !form.Body || Boolean(form.From) === Boolean(form.MessagingServiceSid))
        return reply(400, {
          code: 21604,
          message: 'A To, a Body and one of From or MessagingServiceSid are required',
          status: 400,
        });
      const text: SimText = {
        sid: `SM${(texts.length + 1).toString(16).padStart(32, '0')}`,
        to: form.To,
        ...(form.From ? { from: form.From } : {}),
        ...(form.MessagingServiceSid ? { messagingServiceSid: form.MessagingServiceSid } : {}),
        body: form.Body,
        dateCreated: Date.now(),
      };
      texts.push(text);
      return reply(201, {
        sid: text.sid,
        account_sid: options.accountSid,
        to: text.to,
        from: text.from ?? null,
        messaging_service_sid: text.messagingServiceSid ?? null,
        body: text.body,
        status: 'queued',
        direction: 'outbound-api',
        num_segments: '1',
        date_created: new Date(text.dateCreated).toUTCString(),
        uri: `/2010-04-01/Accounts/${options.accountSid}/Messages/${text.sid}.json`,
      });
    }
    if (req.method === 'POST' && path === `${base}.json`) {
      const sid = `CA${(++created).toString(16).padStart(32, '0')}`;
      const recorded = requests.at(-1);
      if (recorded) recorded.callSid = sid;
      const call: SimCall = {
        sid,
        status: 'queued',
        from: form.From ?? '',
        to: form.To ?? '',
        direction: 'outbound-api',
        dateCreated: Date.now(),
      };
      calls.set(sid, call);
      return reply(201, resource(options.accountSid, call));
    }
    if (req.method === 'GET' && path === `${base}.json`) {
      const listed = [...calls.values()]
        .filter((c) => (!query.To || c.to === query.To) && (!query.From || c.from === query.From))
        .sort((a, b) => b.dateCreated - a.dateCreated)
        .map((c) => resource(options.accountSid, c));
      return reply(200, {
        calls: listed,
        end: Math.max(0, listed.length - 1),
        first_page_uri: `${base}.json?PageSize=50&Page=0`,
        next_page_uri: null,
        page: 0,
        page_size: 50,
        previous_page_uri: null,
        start: 0,
        uri: `${base}.json?PageSize=50&Page=0`,
      });
    }
    if (req.method === 'GET' && callSid) {
      const call = calls.get(callSid);
      if (!call)
        return reply(404, { code: 20404, message: 'The requested resource was not found', status: 404 });
      return reply(200, resource(options.accountSid, call));
    }
    if (req.method === 'POST' && callSid) {
      if (endedCalls.has(callSid))
        return reply(404, { code: 20404, message: 'The requested resource was not found', status: 404 });
      const call = calls.get(callSid);
      if (form.Status === 'completed') {
        endedCalls.add(callSid);
        if (call) Object.assign(call, { status: 'completed', endTime: Date.now() });
      }
      return reply(200, { sid: callSid, status: form.Status ?? 'in-progress' });
    }
    return reply(404, { code: 20404, message: 'not found', status: 404 });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    texts,
    endedCalls,
    calls,
    setCall: (call) => {
      calls.set(call.sid, { ...call, dateCreated: call.dateCreated ?? Date.now() });
      if (!LIVE.has(call.status)) endedCalls.add(call.sid);
    },
    failNext: (count, status = 500) => {
      failures.remaining = count;
      failures.status = status;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const LIVE = new Set(['queued', 'ringing', 'in-progress']);

/** Twilio's call resource: snake_case, RFC 2822 dates, `duration` a string of seconds. */
function resource(accountSid: string, call: SimCall): Record<string, unknown> {
  const date = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toUTCString());
  return {
    sid: call.sid,
    account_sid: accountSid,
    status: call.status,
    from: call.from,
    to: call.to,
    direction: call.direction,
    duration: call.duration === undefined ? null : String(call.duration),
    date_created: date(call.dateCreated),
    start_time: date(call.startTime),
    end_time: date(call.endTime),
    uri: `/2010-04-01/Accounts/${accountSid}/Calls/${call.sid}.json`,
  };
}
