/** Encryption at rest (core/at-rest-cipher.ts, core/at-rest-key.ts, core/at-rest-files.ts): the format, the key file, what each wrong case says. */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { AT_REST_HEADER_BYTES, AtRestKeyError, atRestKey, openAtRest, readAtRestHeader, sealAtRest } from "../../core/at-rest-cipher.js";
import { AtRestFiles } from "../../core/at-rest-files.js";
import { createAtRestKeyFile, encryptAtRestSchema, formatAtRestKey, readAtRestKeyFile, resolveAtRestKey } from "../../core/at-rest-key.js";
import { FacefleetError } from "../../core/errors.js";

const dirs: string[] = [];
after(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "facefleet-at-rest-"));
  dirs.push(dir);
  return dir;
}
const key = atRestKey(randomBytes(32));
const other = atRestKey(randomBytes(32));
const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a, 0x46, 0x49, 0x46, 0, 1, 0xff, 0xd9]);

test("sealed: header with magic, version and key id; a fresh nonce per file; opens back; the header is authenticated", () => {
  const a = sealAtRest(key, JPEG);
  const b = sealAtRest(key, JPEG);
  assert.equal(a.subarray(0, 4).toString("latin1"), "FFAR");
  assert.equal(a[4], 1);
  assert.deepEqual(readAtRestHeader(a), { sealed: true, version: 1, keyId: key.id });
  assert.equal(a.length, AT_REST_HEADER_BYTES + JPEG.length + 16);
  assert.notDeepEqual(a.subarray(13, 25), b.subarray(13, 25), "another nonce");
  assert.notDeepEqual(a, b);
  assert.equal(a.indexOf(JPEG.subarray(0, 4)), -1, "no JPEG header in the sealed bytes");
  assert.deepEqual(openAtRest(key, a, "f.jpg"), JPEG);
  assert.deepEqual(readAtRestHeader(JPEG), { sealed: false });
  assert.deepEqual(readAtRestHeader(Buffer.from('{"format":"facefleet-face"}')), { sealed: false });

  const flipped = Buffer.from(a);
  flipped[a.length - 20] = (flipped[a.length - 20] as number) ^ 1;
  assert.throws(() => openAtRest(key, flipped, "f.jpg"), /^FacefleetError: f\.jpg is damaged: its encryption tag does not match/);
  const nonce = Buffer.from(a);
  nonce[14] = (nonce[14] as number) ^ 1;
  assert.throws(() => openAtRest(key, nonce, "f.jpg"), /f\.jpg is damaged/, "the nonce is authenticated");
  assert.throws(() => openAtRest(key, a.subarray(0, 30), "f.jpg"), /f\.jpg is damaged: too short/);
  assert.throws(
    () => openAtRest(other, a, "f.jpg"),
    (error: Error) =>
      error instanceof AtRestKeyError &&
      error.message === `f.jpg is encrypted with key ${key.id}, not with the configured key ${other.id} (encryptAtRest): wrong key`,
  );
  const v2 = Buffer.from(a);
  v2[4] = 2;
  assert.throws(() => openAtRest(key, v2, "f.jpg"), /f\.jpg is encrypted at rest in format version 2; this facefleet reads version 1/);
});

test("key file: created with mode 600, never overwritten; read back; open to others, malformed or absent is one line", async () => {
  const dir = await tempDir();
  const file = join(dir, "keys", "at-rest.key");
  const created = await createAtRestKeyFile(file);
  assert.equal((await stat(file)).mode & 0o777, 0o600);
  assert.match(await readFile(file, "utf8"), /^facefleet-at-rest-key-v1 [A-Za-z0-9+/]{43}=\n$/);
  assert.equal((await readAtRestKeyFile(file)).id, created.id);
  const before = await readFile(file);
  await assert.rejects(createAtRestKeyFile(file), /at-rest\.key exists: not overwritten/);
  assert.deepEqual(await readFile(file), before, "the key is unchanged");
  assert.deepEqual(await readdir(join(dir, "keys")), ["at-rest.key"], "no temporary file left");

  await chmod(file, 0o640);
  await assert.rejects(readAtRestKeyFile(file), new RegExp(`key file ${file} is open to other users \\(mode 640\\): chmod 600 ${file}$`));
  const bad = join(dir, "bad.key");
  await writeFile(bad, "not a key\n", { mode: 0o600 });
  await assert.rejects(
    readAtRestKeyFile(bad),
    /key file .*bad\.key is not an at-rest key \(expected 'facefleet-at-rest-key-v1 <base64 of 32 bytes>'/,
  );
  await assert.rejects(
    readAtRestKeyFile(join(dir, "none.key")),
    /none\.key does not exist \(facefleet keys create .*none\.key writes one\)/,
  );
});

test("the setting: keyFile or keyEnv, exactly one; the environment variable holds the key file's line or its base64", async () => {
  assert.equal(encryptAtRestSchema.safeParse({}).success, false);
  assert.equal(encryptAtRestSchema.safeParse({ keyFile: "k", keyEnv: "K" }).success, false);
  assert.equal(encryptAtRestSchema.safeParse({ keyEnv: "not a name" }).success, false);
  assert.equal(encryptAtRestSchema.safeParse({ keyFile: "k", extra: 1 }).success, false);
  assert.equal(await resolveAtRestKey(undefined), undefined, "no setting: no key");
  const line = formatAtRestKey(key.bytes);
  assert.equal((await resolveAtRestKey({ keyEnv: "K" }, { K: line }))?.id, key.id);
  assert.equal((await resolveAtRestKey({ keyEnv: "K" }, { K: key.bytes.toString("base64") }))?.id, key.id);
  await assert.rejects(resolveAtRestKey({ keyEnv: "K" }, {}), /^FacefleetError: encryptAtRest\.keyEnv: environment variable K is not set$/);
  await assert.rejects(resolveAtRestKey({ keyEnv: "K" }, { K: "short" }), /environment variable K is not an at-rest key/);
});

test("files: sealed and atomic with a key; a plaintext file is read and flagged for sealing; a sealed file needs its key", async () => {
  const dir = await tempDir();
  const sealed = new AtRestFiles(key);
  const path = join(dir, "a.jpg");
  await sealed.write(path, JPEG);
  assert.equal((await stat(path)).mode & 0o777, 0o600);
  assert.equal((await readFile(path)).indexOf(JPEG.subarray(0, 3)), -1);
  assert.deepEqual(await sealed.read(path), { content: JPEG, inPlaintext: false });
  assert.equal(await sealed.ensureSealed(path), false, "already sealed");

  const plainPath = join(dir, "b.jpg");
  await AtRestFiles.plain.write(plainPath, JPEG);
  assert.deepEqual(await readFile(plainPath), JPEG, "no key: as it is");
  assert.deepEqual(await sealed.read(plainPath), { content: JPEG, inPlaintext: true });
  assert.equal(await sealed.ensureSealed(plainPath), true, "rewritten sealed");
  assert.deepEqual(readAtRestHeader(await readFile(plainPath)), { sealed: true, version: 1, keyId: key.id });
  assert.deepEqual((await sealed.read(plainPath)).content, JPEG);

  const wrong = new AtRestFiles(other);
  await assert.rejects(wrong.read(path), AtRestKeyError);
  await assert.rejects(
    wrong.ensureSealed(path),
    /a\.jpg is encrypted with key [0-9a-f]{16}, not with the configured key [0-9a-f]{16} \(encryptAtRest\): wrong key/,
  );
  await assert.rejects(AtRestFiles.plain.read(path), /a\.jpg is encrypted at rest \(key [0-9a-f]{16}\) but encryptAtRest is not set/);
  await assert.rejects(AtRestFiles.plain.ensureSealed(path), AtRestKeyError);
  assert.ok(new AtRestKeyError("x") instanceof FacefleetError, "the CLI prints it as one line, exit 1");
  assert.deepEqual((await readdir(dir)).sort(), ["a.jpg", "b.jpg"], "no temporary file left");
});
