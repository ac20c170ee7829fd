/**
 * How a store of biometric files (the coordinator's kept faces and unknown-person crops) writes and reads them:
 * sealed with the at-rest key when one is configured (core/at-rest-cipher.ts), as they are when not. Writes are
 * atomic either way (core/atomic-write.ts: temp file + rename) and of mode 600.
 *
 * With a key, a file found in plaintext (a store from before encryptAtRest was set) is read and reported as such,
 * so that its store rewrites it sealed at start (`ensureSealed`); a file sealed with another key, or any sealed
 * file while no key is set, is an AtRestKeyError naming the file: the store cannot be read and must not start.
 */
import { open, readFile } from "node:fs/promises";
import { type AtRestKey, AtRestKeyError, openAtRest, readAtRestHeader, sealAtRest } from "./at-rest-cipher.js";
import { writeFileAtomic } from "./atomic-write.js";

const FILE_MODE = 0o600;
const HEADER_PEEK = 13;

export class AtRestFiles {
  /** Files as they are: no key. */
  static readonly plain = new AtRestFiles(undefined);

  constructor(readonly key: AtRestKey | undefined) {}

  get encrypted(): boolean {
    return this.key !== undefined;
  }

  async write(path: string, content: string | Uint8Array): Promise<void> {
    const bytes = typeof content === "string" ? Buffer.from(content, "utf8") : content;
    await writeFileAtomic(path, this.key ? sealAtRest(this.key, bytes) : bytes, FILE_MODE);
  }

  /** The content; `inPlaintext` when a key is set and the file is not sealed (rewrite it with `write`). */
  async read(path: string): Promise<{ content: Buffer; inPlaintext: boolean }> {
    const stored = await readFile(path);
    const header = readAtRestHeader(stored);
    if (!header.sealed) return { content: stored, inPlaintext: this.key !== undefined };
    if (!this.key) throw notConfigured(path, header.keyId);
    return { content: openAtRest(this.key, stored, path), inPlaintext: false };
  }

  /**
   * Checks a file's header (its first bytes only); with a key, a file in plaintext is rewritten sealed (true). A
   * wrong key or a sealed file without a key is an AtRestKeyError; the content of a sealed file is not checked here.
   */
  async ensureSealed(path: string): Promise<boolean> {
    const handle = await open(path, "r");
    let peek: Buffer;
    try {
      const buffer = Buffer.alloc(HEADER_PEEK);
      const { bytesRead } = await handle.read(buffer, 0, HEADER_PEEK, 0);
      peek = buffer.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
    const header = readAtRestHeader(peek);
    if (header.sealed) {
      if (!this.key) throw notConfigured(path, header.keyId);
      if (header.keyId !== this.key.id)
        throw new AtRestKeyError(
          `${path} is encrypted with key ${header.keyId}, not with the configured key ${this.key.id} (encryptAtRest): wrong key`,
        );
      return false;
    }
    if (!this.key) return false;
    await this.write(path, await readFile(path));
    return true;
  }
}

function notConfigured(path: string, keyId: string): AtRestKeyError {
  return new AtRestKeyError(`${path} is encrypted at rest (key ${keyId}) but encryptAtRest is not set: configure the key that wrote it`);
}
