/**
 * The local pages over HTTP, without a browser: who may reach them (this machine, no proxy, this
 * run's key), the softphone's call set-up and one-time handshake ticket, the event stream read
 * from the session store, and the calls page.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type LocalApp, startLocalApp } from '../../../services/local/app.js';
import { fillLocalDefaults } from '../../../services/local/local-defaults.js';
import { loadClip, silence } from '../../../services/local/sim/audio.js';
import { openStream, type TwilioCallStream } from '../../../services/local/sim/twilio-caller.js';
import type { SoftphoneCall } from '../../../services/local/web/wire.js';
import { eventually } from '../../support/wait-until';

function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * Opens the page's stream as the browser does: to the ticket's path, with no signature header (a
 * browser cannot set one), then Media Streams as Twilio speaks it (the simulator's side).
 */
function openSoftphoneStream(app: LocalApp, call: SoftphoneCall): Promise<TwilioCallStream> {
  return openStream({
    streamUrl: app.stack.config.streamUrl,
    connectTo: `${app.stack.url.replace('http', 'ws')}${call.streamPath}`,
    handshakeSignature: 'missing',
    authToken: '',
    accountSid: call.accountSid,
    callSid: call.callSid,
    streamSid: call.streamSid,
    parameters: call.customParameters,
  });
}

describe('local pages', () => {
  let app: LocalApp;
  let work: string;
  /** The cookie the banner's link sets: every page but that link needs it. */
  let cookie: string;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'pages-'));
    const { env } = fillLocalDefaults({ PORT: '0', LOCAL_OUTBOX_DIR: join(work, 'outbox') }, 3000);
    app = await startLocalApp(env, { host: '127.0.0.1' });
    const opened = await fetch(app.pageLink('/phone'), { redirect: 'manual' });
    cookie = (opened.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  });
  afterAll(async () => {
    await app.close();
    rmSync(work, { recursive: true, force: true });
  });

  const startCall = async (): Promise<SoftphoneCall> => {
    const response = await fetch(`${app.stack.url}/phone/calls`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie },
      body: '{}',
    });
    expect(response.status).toBe(201);
    return (await response.json()) as SoftphoneCall;
  };

  test('the softphone page and its bundled scripts', async () => {
    const page = await get(`${app.stack.url}/phone`, { cookie });
    expect(page.status).toBe(200);
    expect(page.body).toMatch(/<button id="call" type="button">Call<\/button>/);
    expect(page.body).toMatch(/<button id="hang-up" type="button" disabled>Hang up<\/button>/);
    const script = await fetch(`${app.stack.url}/phone/assets/phone.js`, { headers: { cookie } });
    expect(script.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(await script.text()).toContain('audio/x-mulaw');
    const worklet = await get(`${app.stack.url}/phone/assets/audio-worklet.js`, { cookie });
    expect(worklet.body).toContain('registerProcessor("ulaw-encoder"');
    expect((await get(`${app.stack.url}/phone/assets/other.js`, { cookie })).status).toBe(404);
  });

  test('answers only this machine under a local name: a tunnel forwards another Host', async () => {
    for (const path of ['/phone', '/calls']) {
      expect((await get(`${app.stack.url}${path}`, { host: 'voice-dev.example.com', cookie })).status).toBe(
        403,
      );
      expect(
        (await get(`${app.stack.url}${path}`, { host: `localhost:${app.stack.port}`, cookie })).status,
      ).toBe(200);
    }
  });

  test('a proxy or tunnel that rewrites Host to localhost is refused by the header it adds', async () => {
    const local = { host: `localhost:${app.stack.port}`, cookie };
    const relays: Array<Record<string, string>> = [
      { 'x-forwarded-for': '203.0.113.9' },
      { 'x-forwarded-host': 'voice-dev.example.com' },
      { forwarded: 'for=203.0.113.9' },
      { via: '1.1 ngrok' },
    ];
    for (const relay of relays) {
      for (const path of ['/phone', '/calls', '/phone/assets/phone.js']) {
        expect((await get(`${app.stack.url}${path}`, { ...local, ...relay })).status).toBe(403);
      }
      expect((await get(app.pageLink('/calls'), { ...local, ...relay })).status).toBe(403);
    }
  });

  test("every page needs this run's key: only the banner's link sets it, and it leaves the address", async () => {
    const local = { host: `localhost:${app.stack.port}` };
    for (const path of ['/phone', '/calls', '/phone/assets/phone.js', `/calls/CA${'0'.repeat(32)}`]) {
      expect((await get(`${app.stack.url}${path}`, local)).status).toBe(403);
      expect(
        (await get(`${app.stack.url}${path}`, { ...local, cookie: 'bolt_local_key=guess' })).status,
      ).toBe(403);
    }
    const noKey = await fetch(`${app.stack.url}/phone/calls`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(noKey.status).toBe(403);
    expect((await get(`${app.stack.url}/calls?key=another-run`, local)).status).toBe(403);

    const opened = await fetch(app.pageLink('/calls'), { redirect: 'manual' });
    expect(opened.status).toBe(303);
    expect(opened.headers.get('location')).toBe('/calls');
    expect(opened.headers.get('set-cookie')).toBe(
      `bolt_local_key=${app.pageKey}; HttpOnly; SameSite=Strict; Path=/`,
    );
  });

  test('another site cannot set a call up: no JSON content type, or a foreign Origin, is refused', async () => {
    const before = (await app.stack.recentSessions(1000)).length;
    // With the key's cookie (a browser sends it along to a form posted from another site).
    const simple = await fetch(`${app.stack.url}/phone/calls`, { method: 'POST', headers: { cookie } });
    expect(simple.status).toBe(415);
    const foreign = await fetch(`${app.stack.url}/phone/calls`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'https://evil.example', cookie },
      body: '{}',
    });
    expect(foreign.status).toBe(415);
    expect(await app.stack.recentSessions(1000)).toHaveLength(before);
  });

  test('POST /calls is still the outbound API, behind its key', async () => {
    const response = await fetch(`${app.stack.url}/calls`, { method: 'POST', body: '{}' });
    expect(response.status).toBe(401);
  });

  test('a handshake ticket works once; an unknown one is refused', async () => {
    const call = await startCall();
    const forged = { ...call, streamPath: '/media-stream?softphone=not-a-ticket' };
    await expect(openSoftphoneStream(app, forged)).rejects.toMatchObject({ status: 401 });
    const stream = await openSoftphoneStream(app, call);
    await stream.hangUp();
    await expect(openSoftphoneStream(app, call)).rejects.toMatchObject({ status: 401 });
  });

  test('a call from the softphone goes the phone path and ends finalised, on the calls page', async () => {
    const call = await startCall();
    expect(call.engine).toBe('elevenlabs');
    const created = await app.stack.sessions.get(call.callSid);
    expect(created?.session).toMatchObject({ status: 'created', direction: 'inbound', from: '+15550100123' });

    const events = await fetch(`${app.stack.url}/phone/calls/${call.callSid}/events`, {
      headers: { cookie },
    });
    expect(events.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = events.body?.getReader();

    const stream = await openSoftphoneStream(app, call);
    await stream.sendAudio(Buffer.concat([loadClip('caller-hello'), silence(2000)]), { paced: false });
    await eventually(
      () => app.stack.sessions.get(call.callSid),
      (record) => (record?.turns.length ?? 0) >= 3,
      10_000,
    );
    await stream.hangUp();

    // The event stream carries the session as the bridge wrote it, and ends once finalised.
    let text = '';
    for (;;) {
      const chunk = await reader?.read();
      if (!chunk || chunk.done) break;
      text += Buffer.from(chunk.value).toString('utf8');
    }
    const snapshots = text
      .split('\n\n')
      .filter((block) => block.startsWith('data: {"'))
      .map((block) => JSON.parse(block.slice('data: '.length)) as { status: string; turns: unknown[] });
    expect(snapshots[0]?.status).toBe('created');
    expect(snapshots.at(-1)).toMatchObject({ status: 'finalised', outcome: 'completed' });
    expect(snapshots.at(-1)?.turns).toHaveLength(3);
    expect(text).toContain('event: done');

    const list = await get(`${app.stack.url}/calls`, { cookie });
    expect(list.body).toContain(`href="/calls/${call.callSid}"`);
    const detail = await get(`${app.stack.url}/calls/${call.callSid}`, { cookie });
    expect(detail.status).toBe(200);
    expect(detail.body).toContain('Hi, I am calling about your AI receptionist service.');
    expect(detail.body).toContain('check_availability');
    expect(detail.body).toContain('owner@example.com');
  }, 30_000);

  test('an unknown call is a 404', async () => {
    expect((await get(`${app.stack.url}/calls/CA${'0'.repeat(32)}`, { cookie })).status).toBe(404);
    expect((await get(`${app.stack.url}/calls/nonsense`, { cookie })).status).toBe(404);
  });
});
