/**
 * The softphone page: the browser plays the caller's phone and Twilio at once. It asks the local
 * stack to set the call up (the same inbound webhook a phone call goes through), then speaks the
 * Twilio Media Streams protocol to the bridge at `/media-stream`: microphone frames out as 8 kHz
 * μ-law, agent audio in and played, marks echoed once played, `clear` obeyed at once. The panels
 * show what the bridge writes to the call session, streamed from the store by the local stack.
 */
import type { PlayerCommand, PlayerEvent } from './audio-worklet.js';
import { CallerMediaMessages } from './caller-media.js';
import type { CallView, SoftphoneCall } from './wire.js';

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`The page has no #${id}`);
  return found as T;
}

const ui = {
  call: element<HTMLButtonElement>('call'),
  hangUp: element<HTMLButtonElement>('hang-up'),
  status: element('status'),
  engine: element('engine'),
  callSid: element('call-sid'),
  played: element('played'),
  transcript: element<HTMLOListElement>('transcript'),
  tools: element<HTMLOListElement>('tools'),
  latency: element<HTMLOListElement>('latency'),
  latencySummary: element('latency-summary'),
};

function setStatus(text: string): void {
  ui.status.textContent = text;
}

function base64(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

function fromBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** One call: microphone, player, the Media Stream and the session's event stream. */
class PhoneCall {
  private sequence = 0;
  private readonly callerMedia = new CallerMediaMessages();
  private ws: WebSocket | undefined;
  private context: AudioContext | undefined;
  private microphone: MediaStream | undefined;
  private player: AudioWorkletNode | undefined;
  private ended = false;
  private streamSid = '';

  constructor(private readonly onEnded: (why: string) => void) {}

  async start(): Promise<void> {
    setStatus('Starting the microphone…');
    this.microphone = await navigator.mediaDevices.getUserMedia({
      // Echo cancellation keeps the agent's voice from the speakers out of the microphone; no gain
      // control, so a quiet room stays quiet and the engine can hear the caller's turn end.
      audio: { channelCount: 1, echoCancellation: true, noiseSuppression: true, autoGainControl: false },
    });
    const context = new AudioContext();
    this.context = context;
    await context.audioWorklet.addModule('/phone/assets/audio-worklet.js');
    const encoder = new AudioWorkletNode(context, 'ulaw-encoder');
    const player = new AudioWorkletNode(context, 'ulaw-player', { outputChannelCount: [1] });
    this.player = player;
    context.createMediaStreamSource(this.microphone).connect(encoder);
    // The encoder outputs silence; connected so the graph pulls it.
    encoder.connect(context.destination);
    player.connect(context.destination);
    player.port.onmessage = (event: MessageEvent<PlayerEvent>) => this.fromPlayer(event.data);
    await context.resume();

    setStatus('Calling…');
    const response = await fetch('/phone/calls', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    if (!response.ok)
      throw new Error(
        `The local stack could not set the call up (${response.status}): ${await response.text()}`,
      );
    const call = (await response.json()) as SoftphoneCall;
    this.streamSid = call.streamSid;
    ui.callSid.textContent = call.callSid;
    ui.engine.textContent = call.engine;
    watch(call.callSid);

    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    const ws = new WebSocket(`${scheme}://${location.host}${call.streamPath}`);
    this.ws = ws;
    ws.onopen = () => {
      this.send({ event: 'connected', protocol: 'Call', version: '1.0.0' });
      this.send({
        event: 'start',
        sequenceNumber: this.nextSequence(),
        start: {
          accountSid: call.accountSid,
          streamSid: call.streamSid,
          callSid: call.callSid,
          tracks: ['inbound'],
          customParameters: call.customParameters,
          mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
        },
        streamSid: call.streamSid,
      });
      encoder.port.onmessage = (event: MessageEvent<Uint8Array>) => this.sendFrame(event.data);
      setStatus('In call: speak when you are ready');
    };
    ws.onmessage = (event: MessageEvent<string>) => this.fromBridge(event.data);
    ws.onclose = (event) =>
      this.finish(event.code === 1000 ? 'The call ended' : `The stream closed (${event.code})`);
    ws.onerror = () => setStatus('The stream failed');
    this.stopFrames = () => {
      encoder.port.onmessage = null;
      this.send({
        event: 'stop',
        sequenceNumber: this.nextSequence(),
        stop: { accountSid: call.accountSid, callSid: call.callSid },
        streamSid: call.streamSid,
      });
    };
  }

  private stopFrames: () => void = () => undefined;

  hangUp(): void {
    if (this.ws?.readyState === WebSocket.OPEN) {
      this.stopFrames();
      this.ws.close(1000);
    }
    this.finish('You hung up');
  }

  private nextSequence(): string {
    this.sequence += 1;
    return String(this.sequence);
  }

  private send(message: Record<string, unknown>): void {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(message));
  }

  private sendFrame(frame: Uint8Array): void {
    this.send(this.callerMedia.next(this.streamSid, this.nextSequence(), base64(frame)));
  }

  private fromBridge(text: string): void {
    let message: { event?: string; media?: { payload?: string }; mark?: { name?: string } };
    try {
      message = JSON.parse(text) as typeof message;
    } catch {
      return;
    }
    if (message.event === 'media' && message.media?.payload) {
      this.toPlayer({ type: 'audio', ulaw: fromBase64(message.media.payload) });
    } else if (message.event === 'mark' && message.mark?.name !== undefined) {
      this.toPlayer({ type: 'mark', name: message.mark.name });
    } else if (message.event === 'clear') {
      this.toPlayer({ type: 'clear' });
    }
  }

  private toPlayer(command: PlayerCommand): void {
    if (command.type === 'audio') this.player?.port.postMessage(command, [command.ulaw.buffer]);
    else this.player?.port.postMessage(command);
  }

  private fromPlayer(event: PlayerEvent): void {
    if (event.type === 'mark') {
      // Played up to the mark: Twilio echoes it, and so the bridge knows what the caller heard.
      this.send({
        event: 'mark',
        sequenceNumber: this.nextSequence(),
        streamSid: this.streamSid,
        mark: { name: event.name },
      });
      return;
    }
    ui.played.dataset.ms = String(Math.round(event.playedMs));
    ui.played.textContent = `${(event.playedMs / 1000).toFixed(1)} s${event.queuedMs > 0 ? ' (playing)' : ''}`;
  }

  private finish(why: string): void {
    if (this.ended) return;
    this.ended = true;
    for (const track of this.microphone?.getTracks() ?? []) track.stop();
    // Let the last of the agent's words play before the audio stops.
    const context = this.context;
    setTimeout(() => void context?.close(), 1500);
    this.onEnded(why);
  }
}

/** The panels follow one call at a time; a new call stops the previous call's stream. */
let events: EventSource | undefined;

function watch(callSid: string): void {
  events?.close();
  // It lives on after the call: the outcome comes with finalisation; the stream ends with `done`.
  const stream = new EventSource(`/phone/calls/${encodeURIComponent(callSid)}/events`);
  events = stream;
  stream.onmessage = (event: MessageEvent<string>) => render(JSON.parse(event.data) as CallView);
  stream.addEventListener('done', () => stream.close());
}

function listItem(text: string, className?: string): HTMLLIElement {
  const item = document.createElement('li');
  item.textContent = text;
  if (className) item.className = className;
  return item;
}

function render(view: CallView): void {
  ui.engine.textContent = view.failoverReason
    ? `${view.engine} (failed over: ${view.failoverReason})`
    : view.engine;
  ui.transcript.replaceChildren(
    ...view.turns.map((turn) => {
      const item = listItem('', turn.role);
      const who = document.createElement('strong');
      who.textContent = turn.role === 'caller' ? 'You' : 'Agent';
      item.append(who, ` ${turn.text}`);
      return item;
    }),
  );
  ui.tools.replaceChildren(
    ...view.toolCalls.map((call) => {
      const item = listItem('', call.ok ? 'ok' : 'failed');
      const name = document.createElement('code');
      name.textContent = `${call.name}(${JSON.stringify(call.args)})`;
      const result = document.createElement('div');
      result.textContent = `→ ${call.result} (${call.durationMs} ms)`;
      item.append(name, result);
      return item;
    }),
  );
  ui.latency.replaceChildren(
    ...view.latencies.map((l) => listItem(`Turn ${l.callerSeq} → ${l.agentSeq}: ${l.ms} ms`)),
  );
  ui.latencySummary.textContent = view.latency
    ? `${view.latency.turns} answered turns: p50 ${view.latency.p50Ms} ms, p90 ${view.latency.p90Ms} ms`
    : 'No answered turn yet.';
  if (view.status === 'ended' || view.status === 'finalising' || view.status === 'finalised') {
    ui.status.dataset.outcome = view.outcome;
    setStatus(`Call ${view.status}${view.endReason ? ` (${view.endReason})` : ''}; outcome: ${view.outcome}`);
  }
}

let current: PhoneCall | undefined;

ui.call.addEventListener('click', () => {
  if (current) return;
  ui.call.disabled = true;
  ui.hangUp.disabled = false;
  ui.transcript.replaceChildren();
  ui.tools.replaceChildren();
  ui.latency.replaceChildren();
  ui.played.textContent = '0.0 s';
  ui.played.dataset.ms = '0';
  const call = new PhoneCall((why) => {
    setStatus(why);
    ui.call.disabled = false;
    ui.hangUp.disabled = true;
    ui.call.focus();
    current = undefined;
  });
  current = call;
  ui.hangUp.focus();
  call.start().catch((error: unknown) => {
    call.hangUp();
    setStatus(`Could not call: ${(error as Error).message}`);
  });
});

ui.hangUp.addEventListener('click', () => current?.hangUp());
