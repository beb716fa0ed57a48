import type { Config } from '../../core/shared/config.js';
import { escapeHtml, htmlPage } from './html.js';
import { SOFTPHONE_CALLER } from './softphone.js';

/** `GET /phone`: the softphone's markup; services/local/web/phone.ts brings it to life. */
export function phonePage(config: Config): string {
  const body = `
<p class="muted">Calls ${escapeHtml(config.business.name)}'s agent (${escapeHtml(config.twilio.phoneNumber)}) from
${escapeHtml(SOFTPHONE_CALLER)} through the local bridge, exactly as a phone call would: your microphone becomes the
caller's audio, the agent's audio plays here.</p>
<div class="grid">
  <section class="panel" aria-labelledby="call-heading">
    <h2 id="call-heading">Call</h2>
    <button id="call" type="button">Call</button><button id="hang-up" type="button" disabled>Hang up</button>
    <dl class="facts">
      <dt>Status</dt><dd id="status" role="status" aria-live="polite">Ready</dd>
      <dt>Engine</dt><dd id="engine">${escapeHtml(config.voiceProvider)} (for new calls)</dd>
      <dt>Call</dt><dd id="call-sid">–</dd>
      <dt>Agent audio played</dt><dd id="played" data-ms="0">0.0 s</dd>
    </dl>
  </section>
  <section class="panel" aria-labelledby="latency-heading">
    <h2 id="latency-heading">Turn latency</h2>
    <p class="muted">From the end of your turn to the agent's answer, per turn.</p>
    <ol id="latency" class="log" aria-labelledby="latency-heading"></ol>
    <p id="latency-summary" aria-live="polite">No answered turn yet.</p>
  </section>
  <section class="panel wide" aria-labelledby="transcript-heading">
    <h2 id="transcript-heading">Transcript</h2>
    <ol id="transcript" class="log" aria-labelledby="transcript-heading" aria-live="polite"></ol>
  </section>
  <section class="panel wide" aria-labelledby="tools-heading">
    <h2 id="tools-heading">Tool calls</h2>
    <ol id="tools" class="log" aria-labelledby="tools-heading" aria-live="polite"></ol>
  </section>
</div>`;
  return htmlPage('Softphone', body, '/phone/assets/phone.js');
}
