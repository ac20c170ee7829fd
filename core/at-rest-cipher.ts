/**
 * Files sealed at rest: AES-256-GCM (node:crypto) with a random 12-byte nonce per file and a small header, so that
 * a file sealed with another key, a file that is not sealed at all, and a damaged one are told apart.
 *
 *   bytes 0-3    magic "FFAR" (facefleet at rest)
 *   byte  4      format version (1)
 *   bytes 5-12   key id: the first 8 bytes of SHA-256 of the key (names the key, reveals nothing of it)
 *   bytes 13-24  nonce
 *   then         ciphertext, then the 16-byte GCM tag; the 25 header bytes are the additional authenticated data
 *
 * A JPEG starts with FF D8 and a JSON file with "{", so neither is ever taken for a sealed file.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import { FacefleetError } from "./errors.js";

export const AT_REST_MAGIC = Buffer.from("FFAR", "latin1");
export const AT_REST_VERSION = 1;
const KEY_ID_BYTES = 8;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
export const AT_REST_HEADER_BYTES = AT_REST_MAGIC.length + 1 + KEY_ID_BYTES + NONCE_BYTES;
export const AT_REST_KEY_BYTES = 32;

/** A 256-bit key and its id (16 hex digits). */
export type AtRestKey = { readonly id: string; readonly bytes: Buffer };

export function atRestKey(bytes: Buffer): AtRestKey {
  if (bytes.length !== AT_REST_KEY_BYTES) throw new FacefleetError(`an at-rest key is ${AT_REST_KEY_BYTES} bytes, not ${bytes.length}`);
  return { id: createHash("sha256").update(bytes).digest().subarray(0, KEY_ID_BYTES).toString("hex"), bytes: Buffer.from(bytes) };
}

/** What a file's first bytes say: sealed (with the version and the key id of its header) or not. */
export type AtRestHeader = { sealed: false } | { sealed: true; version: number; keyId: string };

export function readAtRestHeader(content: Uint8Array): AtRestHeader {
  const bytes = Buffer.from(content.buffer, content.byteOffset, content.byteLength);
  if (bytes.length < AT_REST_MAGIC.length + 1 + KEY_ID_BYTES || !bytes.subarray(0, AT_REST_MAGIC.length).equals(AT_REST_MAGIC))
    return { sealed: false };
  const version = bytes[AT_REST_MAGIC.length] as number;
  const keyId = bytes.subarray(AT_REST_MAGIC.length + 1, AT_REST_MAGIC.length + 1 + KEY_ID_BYTES).toString("hex");
  return { sealed: true, version, keyId };
}

export function sealAtRest(key: AtRestKey, plain: Uint8Array): Buffer {
  const nonce = randomBytes(NONCE_BYTES);
  const header = Buffer.concat([AT_REST_MAGIC, Buffer.from([AT_REST_VERSION]), Buffer.from(key.id, "hex"), nonce]);
  const cipher = createCipheriv("aes-256-gcm", key.bytes, nonce);
  cipher.setAAD(header);
  return Buffer.concat([header, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
}

/**
 * A sealed file that cannot be opened with the key at hand, or is sealed while no key is configured: the whole
 * store is unreadable, so its owner stops (a store that skipped such files would purge them: silent loss).
 */
export class AtRestKeyError extends FacefleetError {
  override readonly name = "AtRestKeyError";
}

/** The plaintext of a sealed file; `file` names it in the one-line errors. */
export function openAtRest(key: AtRestKey, sealed: Uint8Array, file: string): Buffer {
  const header = readAtRestHeader(sealed);
  if (!header.sealed) throw new FacefleetError(`${file} is not encrypted at rest`);
  if (header.version !== AT_REST_VERSION)
    throw new AtRestKeyError(
      `${file} is encrypted at rest in format version ${header.version}; this facefleet reads version ${AT_REST_VERSION}`,
    );
  if (header.keyId !== key.id)
    throw new AtRestKeyError(
      `${file} is encrypted with key ${header.keyId}, not with the configured key ${key.id} (encryptAtRest): wrong key`,
    );
  const bytes = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
  if (bytes.length < AT_REST_HEADER_BYTES + TAG_BYTES) throw new FacefleetError(`${file} is damaged: too short for an encrypted file`);
  const decipher = createDecipheriv("aes-256-gcm", key.bytes, bytes.subarray(AT_REST_HEADER_BYTES - NONCE_BYTES, AT_REST_HEADER_BYTES));
  decipher.setAAD(bytes.subarray(0, AT_REST_HEADER_BYTES));
  decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
  try {
    return Buffer.concat([decipher.update(bytes.subarray(AT_REST_HEADER_BYTES, bytes.length - TAG_BYTES)), decipher.final()]);
  } catch {
    throw new FacefleetError(`${file} is damaged: its encryption tag does not match (changed or truncated on disk)`);
  }
}
