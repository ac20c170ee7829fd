/**
 * Attribute models (recognition/attributes/): cost per face and a small accuracy check. `npm run bench:attributes`
 * writes bench/results/attributes.json and attributes.md.
 *
 * Cost: each model on single faces (onnxruntime-node, 1 thread, the crop included), median and p95 over the
 * central face of up to 200 LFW dev pictures, after 10 warm-up runs. Accuracy: gender on the hand-labelled
 * identities of gender-labels.ts (every picture of each); emotion and age have no labelled set here.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { writeFileAtomic } from "../../core/atomic-write.js";
import { nearestRank } from "../../core/stats.js";
import { attributeNames } from "../../models/manifest-schema.js";
import { AttributeModels } from "../../recognition/attributes/attribute-models.js";
import type { DetectedFace } from "../../recognition/face.js";
import type { RgbImage } from "../../recognition/image.js";
import { RecognitionPipeline } from "../../recognition/pipeline.js";
import { repoRoot, sharedDir, useTestModels } from "../../testing/paths.js";
import { genderLabels } from "./gender-labels.js";

useTestModels();
const lfw = join(sharedDir, "data", "lfw_dev", "images");
const pipeline = await RecognitionPipeline.load({ threads: 1 });
const models = await AttributeModels.load(attributeNames, { threads: 1 });

/** The face nearest the picture's centre (LFW pictures are centred on their subject). */
async function centralFace(path: string): Promise<{ image: RgbImage; face: DetectedFace } | undefined> {
  const image = await pipeline.decode(path);
  const { faces } = await pipeline.detect(image);
  const d = (f: DetectedFace) => Math.hypot(f.box.x + f.box.width / 2 - image.width / 2, f.box.y + f.box.height / 2 - image.height / 2);
  const face = [...faces].sort((a, b) => d(a) - d(b))[0];
  return face ? { image, face } : undefined;
}

// ---- cost per face ----
const identities = readdirSync(lfw).sort();
const step = Math.max(1, Math.floor(identities.length / 200));
const sample: { image: RgbImage; face: DetectedFace }[] = [];
for (let i = 0; i < identities.length && sample.length < 200; i += step) {
  const dir = join(lfw, identities[i] as string);
  const first = readdirSync(dir).sort()[0];
  const found = first && (await centralFace(join(dir, first)));
  if (found) sample.push(found);
}
const cost = attributeNames.map((name) => {
  const model = models.model(name);
  if (!model) throw new Error(`${name} not loaded`);
  return { name, model: model.modelId, file: model.loaded.model.file };
});
const timings: Record<string, number[]> = Object.fromEntries(attributeNames.map((n) => [n, []]));
for (const name of attributeNames) {
  for (const { image, face } of sample.slice(0, 10)) await models.estimate(image, [face], [name]);
  for (const { image, face } of sample) {
    const t0 = performance.now();
    await models.estimate(image, [face], [name]);
    timings[name]?.push(performance.now() - t0);
  }
}
const round = (v: number) => Math.round(v * 100) / 100;
const costRows = cost.map((c) => {
  const sorted = [...(timings[c.name] as number[])].sort((a, b) => a - b);
  return { ...c, faces: sorted.length, medianMs: round(nearestRank(sorted, 0.5)), p95Ms: round(nearestRank(sorted, 0.95)) };
});

// ---- gender on the hand-labelled identities ----
let correct = 0;
let total = 0;
const confusion = { female: { female: 0, male: 0 }, male: { female: 0, male: 0 } };
const ages: number[] = [];
const emotions: Record<string, number> = {};
for (const [identity, truth] of Object.entries(genderLabels)) {
  const dir = join(lfw, identity);
  for (const file of readdirSync(dir).sort()) {
    const found = await centralFace(join(dir, file));
    if (!found) continue;
    const [a] = (await models.estimate(found.image, [found.face])).attributes;
    const said = a?.gender?.value as "female" | "male";
    confusion[truth][said]++;
    total++;
    if (said === truth) correct++;
    if (typeof a?.age?.value === "number") ages.push(a.age.value);
    const e = a?.emotion?.value as string;
    emotions[e] = (emotions[e] ?? 0) + 1;
  }
}
ages.sort((x, y) => x - y);
const result = {
  generatedAt: new Date().toISOString(),
  command: "npm run bench:attributes",
  runtime: "onnxruntime-node 1.30, CPU, 1 thread; per face: crop + one session run",
  cost: costRows,
  gender: {
    identities: Object.keys(genderLabels).length,
    pictures: total,
    accuracy: round(correct / total),
    confusion,
    labels: "hand-labelled by name (bench/attributes/gender-labels.ts)",
  },
  ageOnThoseFaces: { median: nearestRank(ages, 0.5), p5: nearestRank(ages, 0.05), p95: nearestRank(ages, 0.95) },
  emotionOnThoseFaces: emotions,
};
await writeFileAtomic(join(repoRoot, "bench", "results", "attributes.json"), `${JSON.stringify(result, null, 2)}\n`);
const md = `# Attribute models: cost per face and a gender check

\`npm run bench:attributes\` (bench/attributes/run.ts), ${result.generatedAt.slice(0, 10)}; ${result.runtime}.

## Cost per face (${costRows[0]?.faces} LFW faces, central face of each picture, after 10 warm-up runs)

| attribute | model | median ms | p95 ms |
| --- | --- | --- | --- |
${costRows.map((r) => `| ${r.name} | ${r.model} (\`${r.file}\`) | ${r.medianMs} | ${r.p95Ms} |`).join("\n")}

With \`worker.attributes.every: "track"\` (the default) this is paid about once per track, not per frame.

## Gender: ${result.gender.pictures} pictures of ${result.gender.identities} LFW identities labelled by hand

Accuracy **${(result.gender.accuracy * 100).toFixed(1)} %**. Said female / male for the female pictures: ${confusion.female.female} / ${confusion.female.male}; for the male ones: ${confusion.male.female} / ${confusion.male.male}.
The labels are the public figures' genders by name (bench/attributes/gender-labels.ts), a small check: LFW ships
no attribute labels and no registry package facefleet uses ships a labelled attribute set.

## Emotion and age: no labelled set here

Not measured against labels. On the same faces, age median ${result.ageOnThoseFaces.median} (5th–95th percentile
${result.ageOnThoseFaces.p5}–${result.ageOnThoseFaces.p95}); emotions said: ${Object.entries(emotions)
  .sort((a, b) => b[1] - a[1])
  .map(([k, v]) => `${k} ${v}`)
  .join(", ")}. Checked by eye on the sample pictures (test/recognition/attributes.test.ts): Obama smiling in
obama.jpg is \`happy\` (1.0), the other sample faces \`neutral\` or \`happy\`; the seven men of the samples
\`male\` (≥ 0.99), ages 29–74.
`;
await writeFileAtomic(join(repoRoot, "bench", "results", "attributes.md"), md);
process.stdout.write(md);
