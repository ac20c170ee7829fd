import { createHash, randomBytes, scrypt, timingSafeEqual } from "node:crypto";

/**
 * Secrets kept at rest only as hashes. Two kinds:
 * - `scrypt$<N>$<r>$<p>$<salt>$<hash>` (base64url) for passwords a person may choose (MQTT agent accounts): slow on
 *   purpose, salted;
 * - `sha256$<hex>` for tokens the coordinator generates itself (32 random bytes): nothing to guess, so a fast hash is
 *   enough and every API request can check one.
 */

const SCRYPT = { N: 16_384, r: 8, p: 1, keyLength: 32 } as const;

function scryptAsync(secret: string, salt: Buffer, N: number, r: number, p: number, keyLength: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(secret, salt, keyLength, { N, r, p, maxmem: 64 * 1024 * 1024 }, (error, key) => (error ? reject(error) : resolve(key))),
  );
}

/** Bytes compared in constant time (a length mismatch is a mismatch, also compared in full). */
export function sameBytes(given: Buffer, expected: Buffer): boolean {
  if (given.length !== expected.length) {
    timingSafeEqual(expected, expected);
    return false;
  }
  return timingSafeEqual(given, expected);
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt, SCRYPT.N, SCRYPT.r, SCRYPT.p, SCRYPT.keyLength);
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString("base64url")}$${key.toString("base64url")}`;
}

/** Whether `password` is the one `hash` (from hashPassword) was made of; false for a malformed hash. */
export async function verifyPassword(password: string, hash: string): Promise<boolean> {
  const parts = hash.split("$");
  if (parts.length !== 6 || parts[0] !== "scrypt") return false;
  const [N, r, p] = parts.slice(1, 4).map(Number);
  const salt = Buffer.from(parts[4] ?? "", "base64url");
  const expected = Buffer.from(parts[5] ?? "", "base64url");
  if (!N || !r || !p || N > 1_048_576 || salt.length === 0 || expected.length === 0) return false;
  const key = await scryptAsync(password, salt, N, r, p, expected.length);
  return sameBytes(key, expected);
}

/** The at-rest form of a generated token. */
export function hashToken(token: string): string {
  return `sha256$${createHash("sha256").update(token).digest("hex")}`;
}

/** Whether `token` hashes to `hash` (constant-time compare of the digests). */
export function tokenMatches(token: string, hash: string): boolean {
  return sameBytes(Buffer.from(hashToken(token)), Buffer.from(hash));
}

/** A new random secret, URL-safe (`bytes` random bytes). */
export function newSecret(bytes = 24): string {
  return randomBytes(bytes).toString("base64url");
}
