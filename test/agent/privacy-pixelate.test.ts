/**
 * Privacy of the annotated output (agent/worker/privacy-settings.ts, recognition/pixelate.ts): the Hamilton clip
 * (testing/hamilton-clip.ts) through the worker's real FrameProcessor and FrameAnnotator with the real models and the
 * demo's gallery (Lin-Manuel Miranda and Alex Lacamoire enrolled), once with `privacy.pixelateUnknown: ["hamilton"]`
 * and once without, on the same frames. In every annotated frame:
 *
 * - inside the box of a face the detection calls Unknown (the audience, a track not named yet), the picture is flat:
 *   the pixel-to-pixel differences fall to a fraction of the plain annotation's, and it differs from the plain one;
 * - inside the box of a named face, the picture is the plain annotation's (no pixel moved beyond JPEG noise);
 * - a camera the setting does not list is annotated as before, unknown faces and all.
 *
 * The frame with the most faces, named and unknown, is written plain and pixelated side by side to
 * docs/screenshots/privacy-pixelated.jpg with FACEFLEET_SCREENSHOTS=docs (a temp folder otherwise).
 */
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { before, test } from "node:test";
import sharp from "sharp";
import { trackSettingsSchema, workerSettingsSchema } from "../../agent/config.js";
import { AnnotationDemand } from "../../agent/worker/annotation-demand.js";
import { FrameAnnotator } from "../../agent/worker/annotator.js";
import { FrameProcessor, type GalleryView } from "../../agent/worker/frame-processor.js";
import { PrivacyPolicy, privacySettingsSchema } from "../../agent/worker/privacy-settings.js";
import { Trackers } from "../../agent/worker/tracker.js";
import type { Detection } from "../../protocol/detection.js";
import { topics } from "../../protocol/topics.js";
import { UNKNOWN } from "../../recognition/match.js";
import { RecognitionPipeline } from "../../recognition/pipeline.js";
import { pixelateRegions, pixelCells } from "../../recognition/pixelate.js";
import { type ClipLabels, clipFrames, demoGallery, loadClipLabels, memoisedPipeline } from "../../testing/hamilton-clip.js";
import { repoRoot, useTestModels } from "../../testing/paths.js";
import { cellDeviation, decode, difference, inside } from "../support/pixel-measures.js";

/** The picture of the docs (plain and pixelated side by side): docs/screenshots/ with FACEFLEET_SCREENSHOTS=docs. */
const pictureDir =
  process.env.FACEFLEET_SCREENSHOTS === "docs" ? path.join(repoRoot, "docs", "screenshots") : path.join(tmpdir(), "facefleet-privacy");

let pipeline: RecognitionPipeline;
let gallery: GalleryView;
let frames: Buffer[];
let labels: ClipLabels;

before(async () => {
  useTestModels();
  pipeline = memoisedPipeline(await RecognitionPipeline.load({ threads: 1 }));
  gallery = await demoGallery(pipeline);
  labels = loadClipLabels();
  frames = clipFrames(labels);
});

type Face = Detection["faces"][number];
type Annotated = { camera: string; index: number; faces: Face[]; jpeg: Buffer };

/** The clip on `cameras` (each its own track), every frame annotated, with the privacy setting given. */
async function annotateClip(cameras: string[], privacy: unknown): Promise<Annotated[]> {
  const settings = workerSettingsSchema.parse({ annotated: "always", annotateMaxFps: 0, privacy });
  const annotator = new FrameAnnotator(new AnnotationDemand(settings), new PrivacyPolicy(settings.privacy));
  const processor = new FrameProcessor(pipeline, gallery, new Trackers(trackSettingsSchema.parse({}), "privacy"), "privacy", annotator);
  const out: Annotated[] = [];
  const t0 = 1_700_000_000_000;
  for (const camera of cameras)
    for (const [index, bytes] of frames.entries()) {
      const seq = index + 1;
      const captureTime = t0 + Math.round((index * 1000) / labels.fps);
      const headers = {
        "schema-version": 1 as const,
        camera,
        seq,
        "capture-time": captureTime,
        width: labels.width,
        height: labels.height,
        format: "jpeg" as const,
        producer: "privacy",
      };
      const result = await processor.process({ topic: topics.frames, partition: 0, offset: String(seq), headers, bytes }, captureTime);
      assert.ok(result.annotated, `frame ${index} of ${camera} annotated`);
      out.push({ camera, index, faces: result.detection.faces, jpeg: result.annotated });
    }
  return out;
}

test("pixelateRegions flattens each grown box into cells of one colour and leaves the rest of the picture", () => {
  const width = 64;
  const height = 48;
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = (i * 37) % 251;
  const image = { data, width, height };
  const out = pixelateRegions(image, [{ x: 20, y: 10, width: 20, height: 20 }], { blocks: 4, margin: 0 });
  assert.notEqual(out.data, image.data, "a copy");
  assert.deepEqual(image.data, data, "the input is unchanged");
  // The box 20..40 x 10..30 in cells of 8 px (the smallest; 3 across, the last one 4 px): one colour each.
  const cells = pixelCells({ x: 20, y: 10, width: 20, height: 20 }, width, height, { blocks: 4, margin: 0 });
  assert.equal(cells.length, 9);
  assert.deepEqual(cells[0], [20, 10, 28, 18]);
  assert.deepEqual(cells[8], [36, 26, 40, 30]);
  for (const [cx0, cy0, cx1, cy1] of cells) {
    const first = out.data.subarray((cy0 * width + cx0) * 3, (cy0 * width + cx0) * 3 + 3);
    for (let y = cy0; y < cy1; y++)
      for (let x = cx0; x < cx1; x++) assert.deepEqual(out.data.subarray((y * width + x) * 3, (y * width + x) * 3 + 3), first);
  }
  // Outside the box nothing moved.
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      if (x < 20 || x >= 40 || y < 10 || y >= 30)
        assert.deepEqual(
          out.data.subarray((y * width + x) * 3, (y * width + x) * 3 + 3),
          data.subarray((y * width + x) * 3, (y * width + x) * 3 + 3),
        );
  // A box at the edge is clamped, not an error.
  pixelateRegions(image, [{ x: -10, y: 40, width: 30, height: 30 }]);
});

test("privacy settings: all, a list of cameras, none; bad values are refused naming the field", () => {
  assert.equal(new PrivacyPolicy().covers("door"), false, "off by default");
  const listed = new PrivacyPolicy(privacySettingsSchema.parse({ pixelateUnknown: ["door"] }));
  assert.equal(listed.hides("door", UNKNOWN), true);
  assert.equal(listed.hides("door", "Ann"), false, "a named face is never hidden");
  assert.equal(listed.hides("yard", UNKNOWN), false);
  assert.equal(new PrivacyPolicy(privacySettingsSchema.parse({ pixelateUnknown: "all" })).hides("yard", UNKNOWN), true);
  assert.throws(() => workerSettingsSchema.parse({ privacy: { pixelateUnknown: "some" } }), /pixelateUnknown/);
  assert.throws(() => workerSettingsSchema.parse({ privacy: { pixelBlocks: 1 } }), /pixelBlocks/);
});

test("the Hamilton clip: unknown faces pixelated on the listed camera, named faces and other cameras as before", {
  timeout: 900_000,
}, async () => {
  const plain = await annotateClip(["hamilton", "lobby"], {});
  const hidden = await annotateClip(["hamilton", "lobby"], { pixelateUnknown: ["hamilton"], pixelBlocks: 8 });
  assert.equal(plain.length, hidden.length);
  let shown: { index: number; score: number } = { index: -1, score: -1 };
  let unknownFaces = 0;
  let namedFaces = 0;
  let lobbyUnknown = 0;
  const ratios: number[] = [];
  const flats: number[] = [];
  for (const [i, p] of plain.entries()) {
    const h = hidden[i] as Annotated;
    assert.deepEqual(
      h.faces.map((f) => [f.identity, f.box]),
      p.faces.map((f) => [f.identity, f.box]),
      `frame ${p.index} of ${p.camera}: the same detection`,
    );
    if (p.camera === "hamilton") {
      const named = p.faces.filter((f) => f.identity !== UNKNOWN).length;
      const score = named > 0 ? p.faces.length : 0;
      if (score > shown.score) shown = { index: i, score };
    }
    const a = await decode(p.jpeg);
    const b = await decode(h.jpeg);
    for (const face of h.faces) {
      const region = inside(face, b);
      if (region.x1 - region.x0 < 12 || region.y1 - region.y0 < 12) continue; // too small to measure inside the outline
      const where = `frame ${p.index} of ${p.camera}, ${face.identity} at ${face.box.map(Math.round).join(",")}`;
      if (face.identity === UNKNOWN && p.camera === "hamilton") {
        unknownFaces++;
        const others = h.faces.filter((f) => f !== face);
        const flat = cellDeviation(b, face, others, 8);
        const textured = cellDeviation(a, face, others, 8);
        if (!Number.isNaN(flat)) {
          const ratio = flat / Math.max(0.5, textured);
          ratios.push(ratio);
          // Flat: at the JPEG noise of a flat cell at quality 85 (2.5), or a small fraction of the texture the plain picture had there.
          assert.ok(
            flat < textured && (flat < 2.5 || ratio < 0.25),
            `${where}: deviation within a cell ${flat.toFixed(2)} vs ${textured.toFixed(2)} plain`,
          );
          flats.push(flat);
        }
        assert.ok(difference(a, b, region) > 1, `${where}: changed (${difference(a, b, region).toFixed(2)})`);
      } else {
        if (face.identity === UNKNOWN) lobbyUnknown++;
        else namedFaces++;
        assert.ok(difference(a, b, region) < 0.5, `${where}: unchanged (${difference(a, b, region).toFixed(2)})`);
      }
    }
  }
  // The clip has both: the audience (unknown) and the two enrolled people, named.
  assert.ok(unknownFaces >= 20, `unknown faces measured: ${unknownFaces}`);
  assert.ok(namedFaces >= 20, `named faces measured: ${namedFaces}`);
  assert.ok(lobbyUnknown >= 10, `unknown faces on the unlisted camera: ${lobbyUnknown}`);
  const pair = [plain[shown.index] as Annotated, hidden[shown.index] as Annotated];
  mkdirSync(pictureDir, { recursive: true });
  await sharp({ create: { width: labels.width * 2 + 8, height: labels.height, channels: 3, background: "#ffffff" } })
    .composite([
      { input: pair[0]?.jpeg as Buffer, left: 0, top: 0 },
      { input: pair[1]?.jpeg as Buffer, left: labels.width + 8, top: 0 },
    ])
    .jpeg({ quality: 82 })
    .toFile(path.join(pictureDir, "privacy-pixelated.jpg"));
  ratios.sort((x, y) => x - y);
  flats.sort((x, y) => x - y);
  console.log(
    `privacy: ${unknownFaces} unknown faces pixelated (within-cell deviation ratio median ${ratios[Math.floor(ratios.length / 2)]?.toFixed(3)}, max ${ratios.at(-1)?.toFixed(3)}; deviation median ${flats[Math.floor(flats.length / 2)]?.toFixed(2)}, max ${flats.at(-1)?.toFixed(2)}), ${namedFaces} named and ${lobbyUnknown} unlisted-camera faces unchanged`,
  );
});
