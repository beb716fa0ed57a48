/**
 * Every email the product sends (owner call email, booking confirmation, follow-up, digest) is
 * built once as an `EmailDocument` and rendered to both its plain text and its HTML here, so the
 * two parts can never say different things. Keys are fixed-length hashes (`emailKey`): no personal
 * data in a header, always within Resend's 256 characters.
 */
import { createHash } from 'node:crypto';
import { escapeHtml } from '../after-call/call-report.js';
import type { EmailMessage } from '../ports/mail.js';

export type EmailBlock =
  /** A line the reader must not miss (MISSED, CALLBACK DUE …). */
  | { kind: 'alert'; text: string }
  | { kind: 'heading'; text: string }
  | { kind: 'paragraph'; lines: string[] }
  /** Label: value pairs. */
  | { kind: 'facts'; rows: Array<[string, string]> }
  /** A bulleted list; an item may span lines. */
  | { kind: 'list'; items: string[] }
  /** A quiet footer line. */
  | { kind: 'note'; text: string };

export interface EmailDocument {
  to: string;
  subject: string;
  blocks: EmailBlock[];
  idempotencyKey: string;
}

/**
 * `<kind>-<64 hex>`: SHA-256 of the parts that make a message "the same message". Fixed length
 * whatever the parts are, and no email address or topic readable in the header.
 */
export function emailKey(kind: string, ...parts: string[]): string {
  return `${kind}-${createHash('sha256').update(parts.join('\u0000')).digest('hex')}`;
}

export function renderEmail(doc: EmailDocument): EmailMessage {
  return {
    to: doc.to,
    subject: doc.subject,
    text: renderText(doc.blocks),
    html: renderHtml(doc.blocks),
    idempotencyKey: doc.idempotencyKey,
  };
}

function blockText(block: EmailBlock): string {
  switch (block.kind) {
    case 'alert':
      return block.text;
    case 'heading':
      return `${block.text}:`;
    case 'paragraph':
      return block.lines.join('\n');
    case 'facts':
      return block.rows.map(([label, value]) => `${label}: ${value}`).join('\n');
    case 'list':
      return block.items.map((item) => `  ${item}`).join('\n');
    case 'note':
      return block.text;
  }
}

function renderText(blocks: EmailBlock[]): string {
  const parts = blocks.map(blockText);
  // A heading sits right above what it titles; other blocks are separated by a blank line.
  return blocks
    .map((block, i) =>
      block.kind === 'heading' || i === blocks.length - 1 ? `${parts[i]}\n` : `${parts[i]}\n\n`,
    )
    .join('')
    .trimEnd();
}

function blockHtml(block: EmailBlock): string {
  switch (block.kind) {
    case 'alert':
      return `<p style="color:#b00020;font-weight:bold">${escapeHtml(block.text)}</p>`;
    case 'heading':
      return `<h3>${escapeHtml(block.text)}</h3>`;
    case 'paragraph':
      return `<p>${block.lines.map(escapeHtml).join('<br>')}</p>`;
    case 'facts':
      return `<table>${block.rows
        .map(
          ([label, value]) =>
            `<tr><th align="left">${escapeHtml(label)}</th><td>${escapeHtml(value)}</td></tr>`,
        )
        .join('')}</table>`;
    case 'list':
      return `<ul>${block.items.map((item) => `<li>${escapeHtml(item).replaceAll('\n', '<br>')}</li>`).join('')}</ul>`;
    case 'note':
      return `<p style="color:#666">${escapeHtml(block.text)}</p>`;
  }
}

function renderHtml(blocks: EmailBlock[]): string {
  const body = blocks.map(blockHtml);
  return [
    '<!doctype html><html><body style="font-family:sans-serif;line-height:1.4">',
    ...body,
    '</body></html>',
  ].join('\n');
}
