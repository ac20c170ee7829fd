import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { fetchSamples } from "../../demo/fetch-samples.js";
import { sampleAssets } from "../../demo/sample-assets.js";
import { exampleImage } from "../../testing/paths.js";
import { startFileServer } from "../support/file-server.js";

// The upstream files, served from the shared data folder's copies (the same bytes) on loopback.
const upstream = new Map<string, Buffer>();
for (const asset of sampleAssets) upstream.set(`/examples/${asset.file}`, await readFile(exampleImage(asset.file)));
// A corrupted upstream: the same names, one file's last byte flipped.
const video = upstream.get("/examples/short_hamilton_clip.mp4") as Buffer;
const corrupted = new Map(upstream);
const flipped = Buffer.from(upstream.get("/examples/alex-lacamoire.png") as Buffer);
flipped[flipped.length - 1] = (flipped[flipped.length - 1] as number) ^ 0xff;
for (const [path, body] of upstream) corrupted.set(`/corrupted${path}`, path.endsWith("alex-lacamoire.png") ? flipped : body);
const server = await startFileServer(corrupted);
after(() => server.close());
const baseUrl = `${server.baseUrl}/examples/`;

test("every sample asset is downloaded, sha256-checked and renamed into place, with progress lines", async () => {
  const dir = await mkdtemp(join(tmpdir(), "facefleet-samples-"));
  const lines: string[] = [];
  server.requests.length = 0;
  const downloaded = await fetchSamples({ dir, baseUrl, say: (line) => lines.push(line) });
  assert.deepEqual(downloaded, ["lin-manuel-miranda.png", "alex-lacamoire.png", "short_hamilton_clip.mp4"]);
  for (const asset of sampleAssets) {
    assert.deepEqual(await readFile(join(dir, asset.file)), upstream.get(`/examples/${asset.file}`));
    assert.equal(existsSync(join(dir, `${asset.file}.part`)), false);
  }
  assert.equal(server.requests.length, 3);
  assert.ok(
    lines.some((line) => /^short_hamilton_clip\.mp4: [1-9]0% of 0\.6 MB$/.test(line)),
    lines.join("\n"),
  );
  assert.ok(lines.includes("short_hamilton_clip.mp4: done (sha256 ok)"), lines.join("\n"));
  // A second run finds them intact and downloads nothing.
  server.requests.length = 0;
  assert.deepEqual(await fetchSamples({ dir, baseUrl }), []);
  assert.deepEqual(server.requests, []);
});

test("a partial download is resumed with an HTTP range; a complete .part is checked and kept", async () => {
  const dir = await mkdtemp(join(tmpdir(), "facefleet-samples-"));
  await writeFile(join(dir, "short_hamilton_clip.mp4.part"), video.subarray(0, 200_000));
  await writeFile(join(dir, "alex-lacamoire.png.part"), upstream.get("/examples/alex-lacamoire.png") as Buffer);
  server.requests.length = 0;
  await fetchSamples({ dir, baseUrl });
  const rangeOf = (file: string) => server.requests.find((r) => r.path === `/examples/${file}`)?.range;
  assert.equal(rangeOf("short_hamilton_clip.mp4"), "bytes=200000-");
  assert.equal(rangeOf("alex-lacamoire.png"), `bytes=${(upstream.get("/examples/alex-lacamoire.png") as Buffer).length}-`);
  assert.equal(rangeOf("lin-manuel-miranda.png"), null);
  assert.deepEqual(await readFile(join(dir, "short_hamilton_clip.mp4")), video);
  assert.deepEqual(await readFile(join(dir, "alex-lacamoire.png")), upstream.get("/examples/alex-lacamoire.png"));
});

test("a file with the wrong sha256 is refused with the URL named and nothing left under its name", async () => {
  const dir = await mkdtemp(join(tmpdir(), "facefleet-samples-"));
  const url = `${server.baseUrl}/corrupted/examples/alex-lacamoire.png`;
  await assert.rejects(fetchSamples({ dir, baseUrl: `${server.baseUrl}/corrupted/examples/` }), (error: Error) => {
    assert.match(error.message, /^downloaded alex-lacamoire\.png has sha256 [0-9a-f]{64}, expected affd4bba[0-9a-f]{56}: deleted/);
    assert.ok(error.message.includes(url), error.message);
    assert.equal(error.message.includes("\n"), false);
    return true;
  });
  assert.equal(existsSync(join(dir, "alex-lacamoire.png")), false);
  assert.equal(existsSync(join(dir, "alex-lacamoire.png.part")), false);
  assert.equal(existsSync(join(dir, "lin-manuel-miranda.png")), true, "the files before it are kept");
});

test("an unreachable or missing upstream fails with one line naming the URL", async () => {
  const dir = await mkdtemp(join(tmpdir(), "facefleet-samples-"));
  await assert.rejects(
    fetchSamples({ dir, baseUrl: `${server.baseUrl}/nowhere/` }),
    new RegExp(
      `^FacefleetError: download of lin-manuel-miranda\\.png failed: HTTP 404 from ${server.baseUrl}/nowhere/lin-manuel-miranda\\.png$`,
    ),
  );
  await mkdir(join(dir, "refused"));
  // A port nothing listens on: a server's, once it is closed.
  const closed = await startFileServer(new Map());
  await closed.close();
  await assert.rejects(
    fetchSamples({ dir: join(dir, "refused"), baseUrl: `${closed.baseUrl}/examples/` }),
    new RegExp(
      `^FacefleetError: download of lin-manuel-miranda\\.png from ${closed.baseUrl}/examples/lin-manuel-miranda\\.png failed: .*ECONNREFUSED[^\\n]*$`,
    ),
  );
  assert.equal(existsSync(join(dir, "lin-manuel-miranda.png")), false);
});
