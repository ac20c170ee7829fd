import type { RecognitionEvent } from "./event.js";

/**
 * An event's id: 64-bit FNV-1a of what identifies it (camera, agent, track, type, name, time) as 16 hex
 * digits. Deterministic (the dashboard can compute it for a streamed event; a replayed event keeps its
 * id) and browser-safe (no node:crypto).
 */
export function eventId(event: Pick<RecognitionEvent, "camera" | "agent" | "trackId" | "type" | "identity" | "time">): string {
  const text = [event.camera, event.agent, event.trackId, event.type, event.identity, String(event.time)].join("\u0000");
  let hash = 0xcbf29ce484222325n;
  const prime = 0x100000001b3n;
  const mask = 0xffffffffffffffffn;
  for (const byte of new TextEncoder().encode(text)) hash = ((hash ^ BigInt(byte)) * prime) & mask;
  return hash.toString(16).padStart(16, "0");
}
