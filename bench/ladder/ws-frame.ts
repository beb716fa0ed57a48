/**
 * The header of a WebSocket text frame (RFC 6455 §5.2), for frames the generator writes to a socket
 * itself: the bytes `ws` would write for `send(text)` with no compression, in one write instead of
 * `ws`'s header and payload corked into two. A client's frames are masked, here with the zero key
 * the generator gives `ws` too, so the payload goes out as it is.
 */

const FIN_TEXT = 0x81;
const MASKED = 0x80;

export type FrameSender = 'client' | 'server';

export function textFrameHeader(length: number, sender: FrameSender): Buffer {
  const mask = sender === 'client' ? 4 : 0;
  const extended = length > 0xffff ? 8 : length > 125 ? 2 : 0;
  const header = Buffer.alloc(2 + extended + mask); // a zero masking key, if any, is its last 4 bytes
  header[0] = FIN_TEXT;
  header[1] = (mask ? MASKED : 0) | (extended === 8 ? 127 : extended === 2 ? 126 : length);
  if (extended === 2) header.writeUInt16BE(length, 2);
  else if (extended === 8) header.writeBigUInt64BE(BigInt(length), 2);
  return header;
}
