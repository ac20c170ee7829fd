import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { resolveDemoPlan } from "../../demo/demo-plan.js";
import { sampleAssets } from "../../demo/sample-assets.js";
import { exampleImage, sharedDir } from "../../testing/paths.js";
import { startFileServer } from "../support/file-server.js";

const detectorFile = "yunet_s_dynamic.onnx";
const files = new Map<string, Buffer>();
for (const asset of sampleAssets) files.set(`/examples/${asset.file}`, await readFile(exampleImage(asset.file)));
files.set(`/models/${detectorFile}`, await readFile(join(sharedDir, "models", detectorFile)));
const server = await startFileServer(files);
after(() => server.close());

/** A checkout with no shared folder beside it, and a user whose data directory is empty. */
async function bareMachine() {
  const root = await mkdtemp(join(tmpdir(), "facefleet-demo-plan-"));
  const checkout = join(root, "facefleet");
  await mkdir(checkout);
  const env = { XDG_DATA_HOME: join(root, "data"), FACEFLEET_MODELS: join(root, "data", "facefleet", "models") };
  return { root, checkout, env };
}

const loopback = { samplesBaseUrl: `${server.baseUrl}/examples/`, detectorUrl: `${server.baseUrl}/models/${detectorFile}` };

test("with no shared folder, the demo downloads the samples and the detector into the user's data directory and uses them", async () => {
  const { root, checkout, env } = await bareMachine();
  const lines: string[] = [];
  server.requests.length = 0;
  const plan = await resolveDemoPlan({}, { env, checkout, ...loopback, say: (line) => lines.push(line) });
  const samples = join(root, "data", "facefleet", "samples");
  assert.equal(plan.video, join(samples, "short_hamilton_clip.mp4"));
  assert.equal(plan.people, samples);
  for (const asset of sampleAssets) assert.deepEqual(await readFile(join(samples, asset.file)), files.get(`/examples/${asset.file}`));
  assert.equal(plan.modelDirs, env.FACEFLEET_MODELS);
  assert.deepEqual(await readFile(join(env.FACEFLEET_MODELS, detectorFile)), files.get(`/models/${detectorFile}`));
  assert.equal(server.requests.length, 4);
  assert.match(
    lines[0] ?? "",
    /^no shared data folder: the sample people and video go to .*facefleet\/samples \(https:\/\/github\.com\/ageitgey\/face_recognition, MIT\)$/,
  );
  // The next run finds everything in place: nothing is downloaded again.
  server.requests.length = 0;
  await resolveDemoPlan({}, { env, checkout, ...loopback, say: () => {} });
  assert.deepEqual(server.requests, []);
});

test("a shared folder beside the checkout is used and nothing is downloaded", async () => {
  const { root, env } = await bareMachine();
  server.requests.length = 0;
  // This checkout's ../shared is the real shared data folder.
  const checkout = join(sharedDir, "..", "main-or-any-checkout");
  const plan = await resolveDemoPlan({}, { env: { ...env, FACEFLEET_MODELS: join(sharedDir, "models") }, checkout, ...loopback });
  assert.equal(plan.video, exampleImage("short_hamilton_clip.mp4"));
  assert.equal(plan.people, join(sharedDir, "data", "face_recognition_examples", "examples"));
  assert.deepEqual(server.requests, []);
  assert.equal(existsSync(join(root, "data", "facefleet", "samples")), false);
});

test("FACEFLEET_SHARED wins over the user's samples; a video given on the command line is taken as is", async () => {
  const { checkout, env } = await bareMachine();
  server.requests.length = 0;
  const plan = await resolveDemoPlan(
    {},
    { env: { ...env, FACEFLEET_SHARED: sharedDir, FACEFLEET_MODELS: join(sharedDir, "models") }, checkout, ...loopback },
  );
  assert.equal(plan.video, exampleImage("short_hamilton_clip.mp4"));
  await assert.rejects(
    resolveDemoPlan({ video: join(checkout, "none.mp4"), people: checkout }, { env, checkout, ...loopback }),
    /^FacefleetError: demo video .*none\.mp4 not found \(pass --video FILE\)$/,
  );
  assert.deepEqual(server.requests, [], "with --video and --people given, no sample is downloaded");
});

test("a failed download stops the demo with one line naming the URL", async () => {
  const { checkout, env } = await bareMachine();
  await assert.rejects(
    resolveDemoPlan({}, { env, checkout, samplesBaseUrl: `${server.baseUrl}/gone/`, say: () => {} }),
    new RegExp(
      `^FacefleetError: download of lin-manuel-miranda\\.png failed: HTTP 404 from ${server.baseUrl}/gone/lin-manuel-miranda\\.png$`,
    ),
  );
});
