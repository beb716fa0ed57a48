import type WebSocket from 'ws';
import type { Decoded } from '../../core/shared/decoded.js';
import { parseServerEvent, type ServerMessage } from './codec.js';

/** One message from the server, however ws delivered it, as the codec reads it. */
export function readServerEvent(data: WebSocket.RawData): Decoded<ServerMessage> {
  return parseServerEvent(rawText(data));
}

function rawText(data: WebSocket.RawData): string {
  if (typeof data === 'string') return data;
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return data.toString('utf8');
}
