import type { EmailMessage } from '../ports/mail.js';

/**
 * Header injection guard. Subjects, names and addresses are built from what a caller said (tool
 * arguments) and what the CRM holds: a CR or LF in one would start a new header (`Bcc:`), a tab
 * would fold it. Every control character is stripped, so a header value is always one line.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is removed
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f\u0085\u2028\u2029]/g;

export function headerSafe(value: string): string {
  return value.replace(CONTROL_CHARACTERS, '');
}

/** The message with its header fields (`to`, `subject`) made single-line; bodies are left as written. */
export function headerSafeMessage(message: EmailMessage): EmailMessage {
  return { ...message, to: headerSafe(message.to), subject: headerSafe(message.subject) };
}
