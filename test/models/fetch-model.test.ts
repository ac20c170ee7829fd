import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { fetchModel } from "../../models/fetch-model.js";
import { getDetector } from "../../models/manifest.js";

/** A local HTTP server standing in for the model's upstream (range requests supported), on loopback only. */
const body = Buffer.from(Array.from({ length: 50_000 }, (_, i) => i % 251));
let requests: string[] = [];
const server: Server = createServer((request, response) => {
  const range = request.headers.range;
  requests.push(range ?? "full");
  const match = range ? /bytes=(\d+)-/.exec(range) : null;
  if (match) {
    const start = Number(match[1]);
    response.writeHead(206, { "content-range": `bytes ${start}-${body.length - 1}/${body.length}` });
    response.end(body.subarray(start));
  } else {
    response.writeHead(200);
    response.end(body);
  }
});
await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
after(() => server.close());
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/model.onnx`;
const entry = (sha256: string) => ({
  ...getDetector("yunet-2023mar"),
  file: "fetched.onnx",
  sha256,
  bytes: body.length,
  source: { kind: "download" as const, url },
});
const goodSha = createHash("sha256").update(body).digest("hex");

test("fetch downloads, checks the sha256 and renames into place", async () => {
  const dir = await mkdtemp(join(tmpdir(), "facefleet-fetch-"));
  const path = await fetchModel(entry(goodSha), dir);
  assert.deepEqual(await readFile(path), body);
  assert.equal(existsSync(`${path}.part`), false);
});

test("a partial download is resumed with an HTTP range", async () => {
  const dir = await mkdtemp(join(tmpdir(), "facefleet-fetch-"));
  await writeFile(join(dir, "fetched.onnx.part"), body.subarray(0, 20_000));
  requests = [];
  const path = await fetchModel(entry(goodSha), dir);
  assert.deepEqual(requests, ["bytes=20000-"]);
  assert.deepEqual(await readFile(path), body);
});

test("a download with the wrong sha256 is deleted and refused; nothing is left under the model's name", async () => {
  const dir = await mkdtemp(join(tmpdir(), "facefleet-fetch-"));
  await assert.rejects(fetchModel(entry("0".repeat(64)), dir), /fetched\.onnx has sha256 [0-9a-f]{64}, expected 0{64}: deleted/);
  assert.equal(existsSync(join(dir, "fetched.onnx")), false);
  assert.equal(existsSync(join(dir, "fetched.onnx.part")), false);
});
