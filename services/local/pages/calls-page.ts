/**
 * `GET /calls` and `GET /calls/<callSid>`: the calls the local stack has seen, read from the call
 * table (session, turns, tool calls, finalisation) and the local outbox (the owner email as sent).
 */
import { formatDuration, formatLocal } from '../../core/after-call/call-report.js';
import { type CallRecording, NO_RECORDING } from '../../core/call/recording.js';
import type { WebhookDelivery } from '../../core/ports/webhooks.js';
import type { CallView } from './call-view.js';
import { escapeHtml, htmlPage } from './html.js';

/** A call with the owner email sent about it, if the outbox has it. */
export interface CallWithEmail {
  view: CallView;
  ownerEmail?: { to: string; subject: string; text: string; sentAt: string };
  /** Why there is no email to show (Resend configured, not finalised yet …). */
  ownerEmailNote: string;
  /** The call's recording as the session records it; absent: the call was not recorded. */
  recording?: CallRecording;
  /** The integration webhook's event for the call and how its delivery went; absent: none. */
  delivery?: WebhookDelivery;
}

/** `delivered (2 attempts)`, `pending (1 attempt, HTTP 500)`; `–` when there is no event. */
function deliveryText(delivery: WebhookDelivery | undefined): string {
  if (!delivery) return '–';
  const attempts = `${delivery.attempts} attempt${delivery.attempts === 1 ? '' : 's'}`;
  return `${delivery.status} (${attempts}${delivery.lastResult && delivery.status !== 'delivered' ? `, ${delivery.lastResult}` : ''})`;
}

function deliveryHtml(delivery: WebhookDelivery | undefined, timezone: string): string {
  if (!delivery)
    return '<p class="muted">No event (INTEGRATION_WEBHOOK_URL is not set, or the call is not finalised yet).</p>';
  const when = (ms: number | undefined) => (ms === undefined ? '–' : formatLocal(ms, timezone));
  const rows: Array<[string, string]> = [
    ['Event', delivery.eventId],
    ['Status', delivery.status],
    ['Attempts', String(delivery.attempts)],
    ['Last result', delivery.lastResult ?? '–'],
    ['Last attempt', when(delivery.lastAttemptAt)],
    ['Next attempt', delivery.status === 'pending' ? when(delivery.nextAttemptAt) : '–'],
  ];
  return `<dl class="facts">${rows.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`).join('')}</dl>`;
}

/** The recording section: a player for a stored WAV (served by `/calls/<sid>/recording.wav`). */
function recordingHtml(callSid: string, recording: CallRecording | undefined): string {
  if (!recording) return '<p class="muted">Not recorded (RECORD_CALLS is off).</p>';
  if (recording.status === 'writing') return '<p class="muted">Being written.</p>';
  if (recording.status === 'failed')
    return `<p><strong>${escapeHtml(NO_RECORDING)}</strong>: it could not be written.</p>`;
  const src = `/calls/${encodeURIComponent(callSid)}/recording.wav`;
  return `<audio controls preload="metadata" src="${escapeHtml(src)}"></audio>
<p class="muted">Stereo: caller left, agent right. ${escapeHtml(formatDuration(Math.round(recording.durationMs / 1000)))}, ${Math.round(recording.bytes / 1024)} KiB. <a href="${escapeHtml(src)}" download>Download</a></p>`;
}

function latencyText(view: CallView): string {
  return view.latency
    ? `p50 ${view.latency.p50Ms} ms · p90 ${view.latency.p90Ms} ms (${view.latency.turns})`
    : '–';
}

function durationText(view: CallView): string {
  return view.durationSeconds === undefined ? '–' : formatDuration(view.durationSeconds);
}

export function callsListPage(calls: CallWithEmail[], timezone: string): string {
  const rows = calls
    .map(({ view, ownerEmail, ownerEmailNote, delivery }) => {
      const href = `/calls/${encodeURIComponent(view.callSid)}`;
      return `<tr>
  <td><a href="${escapeHtml(href)}">${escapeHtml(formatLocal(view.createdAt, timezone))}</a></td>
  <td>${escapeHtml(view.direction)}</td>
  <td>${escapeHtml(view.engine)}${view.failoverReason ? ' (failover)' : ''}</td>
  <td>${escapeHtml(view.outcome)}</td>
  <td class="num">${escapeHtml(durationText(view))}</td>
  <td class="num">${view.turns.length}</td>
  <td class="num">${view.toolCalls.length}</td>
  <td>${escapeHtml(latencyText(view))}</td>
  <td>${ownerEmail ? escapeHtml(ownerEmail.subject) : `<span class="muted">${escapeHtml(ownerEmailNote)}</span>`}</td>
  <td>${escapeHtml(deliveryText(delivery))}</td>
</tr>`;
    })
    .join('\n');
  const table = `<table aria-describedby="calls-note">
<caption class="muted" id="calls-note" style="text-align:left">Newest first; open a call for its transcript, tool calls and email. Times in ${escapeHtml(timezone)}.</caption>
<thead><tr><th scope="col">Started</th><th scope="col">Direction</th><th scope="col">Engine</th><th scope="col">Outcome</th>
<th scope="col" class="num">Duration</th><th scope="col" class="num">Turns</th><th scope="col" class="num">Tool calls</th>
<th scope="col">Turn latency</th><th scope="col">Owner email</th><th scope="col">Webhook event</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>`;
  const body =
    calls.length === 0 ? '<p>No calls yet. Place one from the <a href="/phone">softphone</a>.</p>' : table;
  return htmlPage('Calls', body);
}

export function callDetailPage(call: CallWithEmail, timezone: string): string {
  const { view, ownerEmail } = call;
  const facts: Array<[string, string]> = [
    ['Call', view.callSid],
    ['Started', formatLocal(view.createdAt, timezone)],
    ['Direction', view.direction],
    ['From → to', `${view.from} → ${view.to}`],
    ['Engine', view.failoverReason ? `${view.engine} (failed over: ${view.failoverReason})` : view.engine],
    ['Outcome', view.outcome],
    ['Duration', durationText(view)],
    ['Ended because', view.endReason ?? '–'],
    ['Finalisation', view.finalisation ?? 'not yet'],
    ['Turn latency', latencyText(view)],
  ];
  const turns = view.turns
    .map(
      (t) =>
        `<li class="${t.role}"><strong>${t.role === 'caller' ? 'Caller' : 'Agent'}</strong> ${escapeHtml(t.text)}</li>`,
    )
    .join('\n');
  const latencies = view.latencies
    .map((l) => `<li>Turn ${l.callerSeq} → ${l.agentSeq}: ${l.ms} ms</li>`)
    .join('\n');
  const tools = view.toolCalls
    .map(
      (
        c,
      ) => `<tr><td><code>${escapeHtml(c.name)}</code></td><td><code>${escapeHtml(JSON.stringify(c.args))}</code></td>
<td>${c.ok ? '' : '<strong>failed:</strong> '}${escapeHtml(c.result)}</td><td class="num">${c.durationMs} ms</td></tr>`,
    )
    .join('\n');
  const texts = view.texts
    .map(
      (t) =>
        `<tr><td>${escapeHtml(t.kind)}</td><td>${escapeHtml(t.to)}</td><td>${escapeHtml(t.body)}</td></tr>`,
    )
    .join('\n');
  const email = ownerEmail
    ? `<dl class="facts"><dt>To</dt><dd>${escapeHtml(ownerEmail.to)}</dd><dt>Subject</dt><dd>${escapeHtml(ownerEmail.subject)}</dd>
<dt>Sent</dt><dd>${escapeHtml(ownerEmail.sentAt)}</dd></dl><pre>${escapeHtml(ownerEmail.text)}</pre>`
    : `<p class="muted">${escapeHtml(call.ownerEmailNote)}</p>`;
  const body = `
<p><a href="/calls">← All calls</a></p>
<div class="grid">
  <section class="panel" aria-labelledby="facts-heading"><h2 id="facts-heading">The call</h2>
    <dl class="facts">${facts.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`).join('')}</dl></section>
  <section class="panel" aria-labelledby="latency-heading"><h2 id="latency-heading">Turn latency</h2>
    ${latencies ? `<ol class="log">${latencies}</ol>` : '<p class="muted">No answered turn.</p>'}</section>
  <section class="panel wide" aria-labelledby="recording-heading"><h2 id="recording-heading">Recording</h2>
    ${recordingHtml(view.callSid, call.recording)}</section>
  <section class="panel wide" aria-labelledby="webhook-heading"><h2 id="webhook-heading">Integration webhook</h2>
    ${deliveryHtml(call.delivery, timezone)}</section>
  <section class="panel wide" aria-labelledby="transcript-heading"><h2 id="transcript-heading">Transcript</h2>
    ${turns ? `<ol class="log">${turns}</ol>` : '<p class="muted">Nothing was said.</p>'}</section>
  <section class="panel wide" aria-labelledby="tools-heading"><h2 id="tools-heading">Tool calls</h2>
    ${tools ? `<table><thead><tr><th scope="col">Tool</th><th scope="col">Arguments</th><th scope="col">Result</th><th scope="col" class="num">Took</th></tr></thead><tbody>${tools}</tbody></table>` : '<p class="muted">No tool was called.</p>'}</section>
  <section class="panel wide" aria-labelledby="texts-heading"><h2 id="texts-heading">Texts</h2>
    ${texts ? `<table><thead><tr><th scope="col">Kind</th><th scope="col">To</th><th scope="col">Text</th></tr></thead><tbody>${texts}</tbody></table>` : '<p class="muted">No text was sent.</p>'}</section>
  <section class="panel wide" aria-labelledby="email-heading"><h2 id="email-heading">Owner email</h2>${email}</section>
</div>`;
  return htmlPage(`Call ${view.callSid}`, body);
}
