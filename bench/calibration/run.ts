/**
 * False-match calibration of each recognizer (recognition/gallery-threshold.ts turns it into the threshold that fits
 * a gallery's size): the LFW dev pictures of gallery.tsv and probes.tsv (../shared/data/lfw_dev) are embedded as
 * bench/accuracy does, every pair of pictures of different identities is an impostor pair, and for each rate of a
 * half-decade grid (1e-1 .. 1e-6) the distance under which that share of impostor pairs lies is written to the
 * recognizer's `falseMatchCalibration` in models/manifest.json, with bench/results/calibration.json and .md.
 *
 *   npm run bench:calibrate [-- --recognizer face-api-resnet-v1,sface-2021dec-opt --threads 1]
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { writeFileAtomic } from "../../core/atomic-write.js";
import { getRecognizer } from "../../models/manifest.js";
import { manifestSchema } from "../../models/manifest-schema.js";
import { distanceAtFalseMatchRate, perComparisonFalseMatchRate } from "../../recognition/gallery-threshold.js";
import { openLfwFaces } from "../accuracy/lfw-faces.js";
import { machineDescription } from "../support/machine.js";
import { lfwGallery, lfwProbes, useBenchModels } from "../support/shared-data.js";
import { falseMatchTable, impostorDistances, type LabelledVector } from "./false-match-table.js";

useBenchModels();
const { values } = parseArgs({
  options: {
    recognizer: { type: "string", default: "face-api-resnet-v1,face-api-resnet-v1-int8,sface-2021dec-opt,sface-2021dec-opt-int8" },
    threads: { type: "string", default: "1" },
    manifest: { type: "string", default: "models/manifest.json" },
    /** Only the first N pictures (a quick check of the script; the manifest then holds a rough table). */
    limit: { type: "string" },
  },
});
const ids = (values.recognizer as string).split(",");
const threads = Number(values.threads);
const command = `npm run bench:calibrate -- --recognizer ${ids.join(",")} --threads ${threads}`;
const pictures = [...lfwGallery(), ...lfwProbes()]
  .map((r) => ({ path: r.path, identity: r.identity }))
  .slice(0, values.limit === undefined ? undefined : Number(values.limit));
const generatedAt = new Date().toISOString();

const results = [];
for (const id of ids) {
  const faces = await openLfwFaces(id, threads);
  const samples: LabelledVector[] = [];
  let noFace = 0;
  for (const [i, picture] of pictures.entries()) {
    const vector = await faces.embedding(picture.path);
    if (vector) samples.push({ identity: picture.identity, vector });
    else noFace++;
    if ((i + 1) % 500 === 0 || i + 1 === pictures.length) process.stderr.write(`${id}: ${i + 1}/${pictures.length} pictures\n`);
  }
  await faces.save();
  const sorted = impostorDistances(samples);
  const points = falseMatchTable(sorted);
  const detector = faces.pipeline.detector.loaded.model.id;
  const calibration = {
    points,
    impostorPairs: sorted.length,
    pictures: samples.length,
    identities: new Set(samples.map((s) => s.identity)).size,
    detector,
    data: "../shared/data/lfw_dev gallery.tsv + probes.tsv (YuNet score >= 0.3, central face); every pair of pictures of different identities",
    command,
    generatedAt,
  };
  const byGallerySize = [1, 2, 5, 10, 30, 100, 334, 1000].map((n) => {
    const rate = perComparisonFalseMatchRate(0.01, n);
    return { identities: n, falseMatchRate: rate, ...distanceAtFalseMatchRate(calibration, rate) };
  });
  results.push({ recognizer: id, sha256: getRecognizer(id).sha256, noFace, calibration, byGallerySize });
  process.stderr.write(
    `${id}: ${sorted.length} impostor pairs; ${points.map((p) => `${p.falseMatchRate}->${p.cosineDistance}`).join(" ")}\n`,
  );
}

// The manifest is rewritten whole (then `biome format` restores its layout); its schema is checked before writing.
const path = values.manifest as string;
const manifest = JSON.parse(readFileSync(path, "utf8"));
for (const r of results) manifest.models[r.recognizer].falseMatchCalibration = r.calibration;
manifestSchema.parse(manifest);
await writeFileAtomic(path, `${JSON.stringify(manifest, null, 2)}\n`);
execFileSync(join("node_modules", ".bin", "biome"), ["format", "--write", path], { stdio: "ignore" });

const report = { generatedAt, command, machine: machineDescription(), results };
await writeFileAtomic("bench/results/calibration.json", `${JSON.stringify(report, null, 2)}\n`);
const pct = (v: number) => `${(100 * v).toPrecision(3)}%`;
const lines = [
  "# False-match calibration",
  "",
  `Generated ${generatedAt} by \`${command}\`. Data: ../shared/data/lfw_dev, the pictures of gallery.tsv and probes.tsv (each picture's central face, YuNet score ≥ 0.3); an impostor pair is any two pictures of different identities. Written into each recognizer's \`falseMatchCalibration\` in models/manifest.json.`,
  "",
  "## Cosine distance at each false-match rate per comparison",
  "",
  `| false-match rate | ${results.map((r) => r.recognizer).join(" | ")} |`,
  `|---|${results.map(() => "---|").join("")}`,
];
const rates = [...new Set(results.flatMap((r) => r.calibration.points.map((p) => p.falseMatchRate)))].sort((a, b) => b - a);
for (const rate of rates)
  lines.push(
    `| ${rate} | ${results.map((r) => r.calibration.points.find((p) => p.falseMatchRate === rate)?.cosineDistance ?? "—").join(" | ")} |`,
  );
lines.push(
  `| impostor pairs | ${results.map((r) => r.calibration.impostorPairs).join(" | ")} |`,
  `| pictures (identities) | ${results.map((r) => `${r.calibration.pictures} (${r.calibration.identities})`).join(" | ")} |`,
  "",
  "## Default threshold by gallery size (false-accept target 1 %)",
  "",
  "Per-comparison rate = 1 − (1 − 0.01)^(1/N), N = enrolled identities; the distance is interpolated in log10(rate) between the points above and clamped to the table's ends.",
  "",
  `| identities | per-comparison rate | ${results.map((r) => r.recognizer).join(" | ")} |`,
  `|---|---|${results.map(() => "---|").join("")}`,
);
for (const [i, row] of (results[0]?.byGallerySize ?? []).entries())
  lines.push(
    `| ${row.identities} | ${pct(row.falseMatchRate)} | ${results
      .map((r) => {
        const g = r.byGallerySize[i];
        return g ? `${g.distance.toFixed(4)}${g.clamped ? " (clamped)" : ""}` : "—";
      })
      .join(" | ")} |`,
  );
lines.push(
  "",
  "Pairs share pictures, so they are not independent: the rarest rates rest on few pairs (1e-6 of the pairs above is a handful) and say less than their digits. The same LFW dev pictures serve the accuracy bench; the set kept aside outside ../shared checks the calibration independently.",
  "",
);
await writeFileAtomic("bench/results/calibration.md", `${lines.join("\n")}\n`);
process.stdout.write(`${lines.join("\n")}\n`);
