/**
 * Attributes on the annotated picture (agent/worker/annotator.ts, recognition/annotate.ts): on a real picture with
 * the real detector and attribute models, a face whose detection carries attributes gets a second line under its
 * name (`happy · 43 · m`): the pixels of that line change and nothing outside the faces' labels does; a face without
 * attributes is drawn exactly as before (the name label only, byte for byte what annotateImage draws without them).
 */
import assert from "node:assert/strict";
import { before, test } from "node:test";
import { AnnotationDemand } from "../../agent/worker/annotation-demand.js";
import { FrameAnnotator } from "../../agent/worker/annotator.js";
import type { Detection } from "../../protocol/detection.js";
import { annotateImage, annotationSvg } from "../../recognition/annotate.js";
import { attributeLabel } from "../../recognition/attributes/attribute-label.js";
import { AttributeModels } from "../../recognition/attributes/attribute-models.js";
import { decodeImage } from "../../recognition/decode.js";
import { toFaceResult } from "../../recognition/face-result.js";
import type { RgbImage } from "../../recognition/image.js";
import { type Analysis, RecognitionPipeline } from "../../recognition/pipeline.js";
import { exampleImage, useTestModels } from "../../testing/paths.js";

type Face = Detection["faces"][number];

let analysis: Analysis;
let withAttributes: Face[];
let without: Face[];

before(async () => {
  useTestModels();
  const pipeline = await RecognitionPipeline.load({ threads: 1 });
  const models = await AttributeModels.load(["emotion", "age", "gender"], { threads: 1 });
  analysis = await pipeline.analyse(exampleImage("two_people.jpg"));
  const { attributes } = await models.estimate(analysis.image, analysis.faces);
  without = analysis.faces.map((face) => ({ ...toFaceResult(face, null), trackId: null }));
  withAttributes = without.map((face, i) => ({ ...face, attributes: attributes[i] as Face["attributes"] }));
});

const annotator = () => new FrameAnnotator(new AnnotationDemand({ annotated: "always", annotateAlways: [], annotateMaxFps: 0 }));

/** Pixels (x, y) where two pictures of one size differ by more than `tolerance` in some channel. */
function changed(a: RgbImage, b: RgbImage, tolerance: number): { x: number; y: number }[] {
  assert.equal(a.width, b.width);
  assert.equal(a.height, b.height);
  const out: { x: number; y: number }[] = [];
  for (let p = 0; p < a.width * a.height; p++) {
    const d = Math.max(
      Math.abs((a.data[p * 3] as number) - (b.data[p * 3] as number)),
      Math.abs((a.data[p * 3 + 1] as number) - (b.data[p * 3 + 1] as number)),
      Math.abs((a.data[p * 3 + 2] as number) - (b.data[p * 3 + 2] as number)),
    );
    if (d > tolerance) out.push({ x: p % a.width, y: Math.floor(p / a.width) });
  }
  return out;
}

/**
 * The areas a face's label can take: above its box, or, where the label does not fit above (a face at the top
 * edge; one with attributes needs two lines), under it.
 */
function labelBands(face: Face, image: RgbImage, margin: number) {
  const [x, y, , h] = face.box;
  const line = Math.max(12, Math.round(Math.min(image.width, image.height) / 40)) + 6;
  const x0 = x - margin;
  const x1 = x + 24 * line + margin;
  return [
    { x0, x1, y0: y - 2 * line - margin, y1: y + margin },
    { x0, x1, y0: y + h - margin, y1: y + h + 2 * line + margin },
  ];
}

const within = (p: { x: number; y: number }, bands: ReturnType<typeof labelBands>) =>
  bands.some((b) => p.x >= b.x0 && p.x <= b.x1 && p.y >= b.y0 && p.y <= b.y1);

test("the picture has faces with attributes, and their short label reads emotion · age · gender", () => {
  assert.ok(withAttributes.length >= 2, `${withAttributes.length} faces`);
  for (const face of withAttributes) {
    const label = attributeLabel(face.attributes) as string;
    assert.match(label, /^[a-z]+ · \d+ · [mf]$/, label);
  }
  assert.equal(attributeLabel(undefined), undefined);
  assert.equal(attributeLabel({}), undefined);
  assert.equal(
    attributeLabel({ gender: { value: "female" }, mask: { value: "none" }, age: { value: 7 }, emotion: { value: "sad" } }),
    "sad · 7 · f · none",
  );
});

test("a face with attributes: a second line under its name; only the label areas change", async () => {
  const t = 1_700_000_000_000;
  const a = annotator();
  const drawnWith = await decodeImage((await a.annotate("cam", t, analysis.image, withAttributes)) as Buffer);
  const drawnWithout = await decodeImage((await a.annotate("cam", t + 1000, analysis.image, without)) as Buffer);
  // JPEG: a change shows in the 16x16 blocks it touches; anything else is the same picture encoded the same.
  const diff = changed(drawnWith, drawnWithout, 40);
  for (const face of withAttributes) {
    const bands = labelBands(face, analysis.image, 0);
    const inside = diff.filter((p) => within(p, bands)).length;
    assert.ok(inside >= 100, `face at ${face.box.join(",")}: ${inside} pixels of its label changed`);
  }
  const bands = withAttributes.flatMap((face) => labelBands(face, analysis.image, 16));
  const outside = diff.filter((p) => !within(p, bands));
  assert.deepEqual(outside.slice(0, 5), [], `${outside.length} pixels changed outside the labels`);

  const svg = annotationSvg(analysis.image.width, analysis.image.height, [
    { box: { x: 10, y: 100, width: 50, height: 50 }, identity: "Unknown", attributes: "happy · 43 · m" },
  ]);
  assert.equal(svg.match(/<text /g)?.length, 2);
  assert.ok(svg.includes(">happy · 43 · m</text>"));
});

test("a face without attributes is drawn as before: its name label only", async () => {
  const t = 1_700_000_000_000;
  const viaAnnotator = (await annotator().annotate("cam", t, analysis.image, without)) as Buffer;
  const direct = await annotateImage(
    analysis.image,
    without.map((face) => ({ box: { x: face.box[0], y: face.box[1], width: face.box[2], height: face.box[3] }, identity: face.identity })),
  );
  assert.ok(viaAnnotator.equals(direct), "the annotator draws nothing more than box and name");
  const svg = annotationSvg(
    analysis.image.width,
    analysis.image.height,
    without.map((face) => ({ box: { x: face.box[0], y: face.box[1], width: face.box[2], height: face.box[3] }, identity: face.identity })),
  );
  assert.equal(svg.match(/<text /g)?.length, without.length, "one line per face");
});
