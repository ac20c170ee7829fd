/**
 * Faces over time on LFW (lfw_dev of the shared data folder), with the real models: pictures embedded by the real
 * detector and recognizer (bench/accuracy/lfw-faces.ts: the central face, cached in bench/.cache), fed to the
 * coordinator's FaceStore as events (coordinator/faces/face-store.ts), then:
 *
 *  - find a face: for every identity with at least 3 pictures, the first is the search photo and the others are
 *    kept as that person's events, among the events of every other identity and of single-picture people
 *    (distractors). recall@k: the share of the person's kept events among the k nearest (of at most k of them);
 *    hit@k: a search whose nearest k hold one of them; at the search threshold (faces.searchFalseMatchRate), the
 *    share of their events returned and the share of returned events that are theirs (rankFaces, as
 *    POST /api/faces/search ranks).
 *  - clusters: identities with at least 4 pictures (all their pictures, at most 12 each) and single-picture
 *    people fed as unknown_person events, clustered as GET /api/faces/clusters does (clusterEmbeddings at
 *    faces.clusterFalseMatchRate, and other rates for comparison). Purity: the share of faces in a cluster whose
 *    majority is their identity; completeness: the share of an identity's faces in its largest cluster.
 *  - clicks to name them: the operator names each cluster of two or more faces after its majority (one click; a
 *    person split over two clusters is named twice) and corrects each face of another person in it (one click
 *    each); the faces left in clusters of one are counted apart. Against one click per face, Frigate's way.
 *
 *   npm run bench:faces-over-time [-- --recognizer sface-2021dec-opt --threads 1 --identities 150 --distractors 400]
 */
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { roundEmbedding } from "../../agent/worker/frame-processor.js";
import { clusterEmbeddings } from "../../coordinator/faces/embedding-clusters.js";
import { FaceStore, type KeptFace } from "../../coordinator/faces/face-store.js";
import {
  DEFAULT_CLUSTER_FALSE_MATCH_RATE,
  DEFAULT_SEARCH_FALSE_MATCH_RATE,
  familyOf,
  sameFaceDistance,
} from "../../coordinator/faces/face-thresholds.js";
import { rankFaces } from "../../coordinator/faces/faces-service.js";
import { writeFileAtomic } from "../../core/atomic-write.js";
import type { RecognitionEvent } from "../../protocol/event.js";
import { openLfwFaces } from "../accuracy/lfw-faces.js";
import { machineDescription } from "../support/machine.js";
import { lfwDir, useBenchModels } from "../support/shared-data.js";

useBenchModels();
const { values } = parseArgs({
  options: {
    recognizer: { type: "string", default: "sface-2021dec-opt" },
    threads: { type: "string", default: "1" },
    identities: { type: "string", default: "150" },
    distractors: { type: "string", default: "400" },
    "cluster-identities": { type: "string", default: "50" },
    "cluster-singles": { type: "string", default: "50" },
    out: { type: "string", default: "bench/results/faces-over-time.json" },
  },
});
const recognizer = values.recognizer as string;
const KS = [1, 5, 10, 20];
const started = Date.now();

// --- LFW by identity (sorted, so every run takes the same people).
const imagesDir = join(lfwDir, "images");
const people = readdirSync(imagesDir)
  .sort()
  .map((name) => ({
    name,
    pictures: readdirSync(join(imagesDir, name))
      .filter((f) => f.endsWith(".jpg"))
      .sort()
      .map((f) => join(imagesDir, name, f)),
  }));
const many = people.filter((p) => p.pictures.length >= 3);
const singles = people.filter((p) => p.pictures.length === 1);
/** Every n-th of a list, n chosen so that at most `count` come out (spread over the alphabet). */
const spread = <T>(list: T[], count: number) => {
  const step = Math.max(1, list.length / count);
  return Array.from({ length: Math.min(count, list.length) }, (_, i) => list[Math.floor(i * step)] as T);
};
const searchPeople = spread(many, Number(values.identities));
const distractors = spread(singles, Number(values.distractors));
const clusterPeople = spread(
  people.filter((p) => p.pictures.length >= 4),
  Number(values["cluster-identities"]),
);
const clusterSingles = spread(singles.slice().reverse(), Number(values["cluster-singles"]));

const lfw = await openLfwFaces(recognizer, Number(values.threads));
let embedded = 0;
const embed = async (path: string) => {
  const e = await lfw.embedding(path);
  if (++embedded % 250 === 0) process.stderr.write(`embedded ${embedded}\n`);
  return e;
};

let seq = 0;
const T0 = Date.now() - 3_600_000;
/** A picture as the event an agent would send for it (the embedding rounded as on the wire). */
function asEvent(embedding: Float32Array, identity: string, type: RecognitionEvent["type"]): RecognitionEvent {
  seq++;
  return {
    schemaVersion: 1,
    type,
    camera: `cam-${seq % 4}`,
    trackId: `lfw-${seq}`,
    identity: type === "unknown_person" ? "Unknown" : identity,
    firstSeq: seq,
    lastSeq: seq,
    time: T0 + seq,
    agent: "bench",
    embedding: roundEmbedding(embedding),
    model: recognizer,
  };
}

async function feed(dir: string, items: { path: string; label: string }[], type: RecognitionEvent["type"]) {
  const store = await FaceStore.open({ dir, maxFaces: 1_000_000 });
  const labelOf = new Map<string, string>();
  let missed = 0;
  for (const { path, label } of items) {
    const embedding = await embed(path);
    if (!embedding) {
      missed++;
      continue;
    }
    const kept = await store.observe(asEvent(embedding, label, type));
    if (kept) labelOf.set(kept.id, label);
  }
  return { store, labelOf, missed };
}

const work = mkdtempSync(join(tmpdir(), "facefleet-bench-faces-"));
try {
  // --- Find a face.
  const searchDistance = sameFaceDistance(recognizer, DEFAULT_SEARCH_FALSE_MATCH_RATE) as number;
  const family = familyOf(recognizer);
  if (!family) throw new Error(`unknown recognizer ${recognizer}`);
  const stored = [
    ...searchPeople.flatMap((p) => p.pictures.slice(1).map((path) => ({ path, label: p.name }))),
    ...distractors.map((p) => ({ path: p.pictures[0] as string, label: p.name })),
  ];
  const events = await feed(join(work, "search"), stored, "person_seen");
  const all = events.store.all();
  const recall = Object.fromEntries(KS.map((k) => [k, 0]));
  const hit = Object.fromEntries(KS.map((k) => [k, 0]));
  let searches = 0;
  let noProbeFace = 0;
  let returnedTheirs = 0;
  let returned = 0;
  let theirsTotal = 0;
  for (const person of searchPeople) {
    const probe = await embed(person.pictures[0] as string);
    if (!probe) {
      noProbeFace++;
      continue;
    }
    const theirs = all.filter((f) => events.labelOf.get(f.id) === person.name).length;
    if (theirs === 0) continue;
    searches++;
    theirsTotal += theirs;
    const ranked = rankFaces(all, probe, family, 2).matches;
    for (const k of KS) {
      const top = ranked.slice(0, k).filter((m) => events.labelOf.get(m.id) === person.name).length;
      recall[k] = (recall[k] as number) + top / Math.min(k, theirs);
      if (top > 0) hit[k] = (hit[k] as number) + 1;
    }
    const within = ranked.filter((m) => m.distance <= searchDistance);
    returned += within.length;
    const mine = within.filter((m) => events.labelOf.get(m.id) === person.name).length;
    returnedTheirs += mine;
  }
  await events.store.stop();
  const search = {
    identities: searchPeople.length,
    searches,
    noProbeFace,
    keptEvents: all.length,
    distractorPeople: distractors.length,
    missedPictures: events.missed,
    recallAtK: Object.fromEntries(KS.map((k) => [k, round((recall[k] as number) / searches)])),
    hitAtK: Object.fromEntries(KS.map((k) => [k, round((hit[k] as number) / searches)])),
    atThreshold: {
      falseMatchRate: DEFAULT_SEARCH_FALSE_MATCH_RATE,
      maxDistance: round(searchDistance),
      recall: round(returnedTheirs / theirsTotal),
      precision: round(returned === 0 ? 1 : returnedTheirs / returned),
      meanReturned: round(returned / searches),
    },
  };
  process.stderr.write(`search: ${JSON.stringify(search)}\n`);

  // --- Clusters of unknown faces, and the clicks to name them.
  const unknownItems = [
    ...clusterPeople.flatMap((p) => p.pictures.slice(0, 12).map((path) => ({ path, label: p.name }))),
    ...clusterSingles.map((p) => ({ path: p.pictures[0] as string, label: p.name })),
  ];
  const unknown = await feed(join(work, "clusters"), unknownItems, "unknown_person");
  const faces = unknown.store.all();
  const labels = faces.map((f) => unknown.labelOf.get(f.id) as string);
  const rates = [1e-3, DEFAULT_CLUSTER_FALSE_MATCH_RATE, 1e-5, 1e-6];
  const clustering = rates.map((rate) => ({
    falseMatchRate: rate,
    default: rate === DEFAULT_CLUSTER_FALSE_MATCH_RATE,
    ...scoreClusters(faces, labels, sameFaceDistance(recognizer, rate) as number),
  }));
  await unknown.store.stop();
  for (const c of clustering) process.stderr.write(`clusters at ${c.falseMatchRate}: ${JSON.stringify(c)}\n`);

  const result = {
    benchmark: "faces-over-time",
    recognizer,
    date: new Date().toISOString(),
    machine: machineDescription(),
    seconds: Math.round((Date.now() - started) / 1000),
    search,
    clusters: {
      identities: clusterPeople.length,
      singlePeople: clusterSingles.length,
      faces: faces.length,
      missedPictures: unknown.missed,
      byFalseMatchRate: clustering,
    },
  };
  await lfw.save();
  await writeFileAtomic(values.out as string, `${JSON.stringify(result, null, 2)}\n`);
  await writeFileAtomic((values.out as string).replace(/\.json$/, ".md"), report(result));
  process.stderr.write(`wrote ${values.out}\n`);
} finally {
  rmSync(work, { recursive: true, force: true });
}

function round(v: number): number {
  return Math.round(v * 10_000) / 10_000;
}

function scoreClusters(faces: KeptFace[], labels: string[], maxDistance: number) {
  const clusters = clusterEmbeddings(
    faces.map((f) => f.embedding),
    maxDistance,
  );
  let majorityFaces = 0;
  let clicks = 0;
  let corrections = 0;
  let namedFaces = 0;
  let singletonFaces = 0;
  const largestOf = new Map<string, number>();
  const totalOf = new Map<string, number>();
  for (const label of labels) totalOf.set(label, (totalOf.get(label) ?? 0) + 1);
  for (const { members } of clusters) {
    const counts = new Map<string, number>();
    for (const m of members) counts.set(labels[m] as string, (counts.get(labels[m] as string) ?? 0) + 1);
    const [, top] = [...counts].sort((a, b) => b[1] - a[1])[0] as [string, number];
    majorityFaces += top;
    for (const [label, count] of counts) largestOf.set(label, Math.max(largestOf.get(label) ?? 0, count));
    if (members.length >= 2) {
      clicks += 1 + (members.length - top);
      corrections += members.length - top;
      namedFaces += members.length;
    } else singletonFaces++;
  }
  const multi = [...totalOf].filter(([, n]) => n >= 2);
  return {
    maxDistance: round(maxDistance),
    clusters: clusters.length,
    clustersOfTwoOrMore: clusters.filter((c) => c.members.length >= 2).length,
    purity: round(majorityFaces / faces.length),
    completeness: round(multi.reduce((s, [label, n]) => s + (largestOf.get(label) ?? 0) / n, 0) / multi.length),
    clicks,
    corrections,
    namedFaces,
    facesPerClick: round(namedFaces / Math.max(1, clicks)),
    singletonFaces,
    oneByOneClicks: faces.length,
  };
}

type Result = {
  recognizer: string;
  date: string;
  seconds: number;
  machine: ReturnType<typeof machineDescription>;
  search: {
    identities: number;
    searches: number;
    noProbeFace: number;
    keptEvents: number;
    distractorPeople: number;
    recallAtK: Record<string, number>;
    hitAtK: Record<string, number>;
    atThreshold: { falseMatchRate: number; maxDistance: number; recall: number; precision: number; meanReturned: number };
  };
  clusters: {
    identities: number;
    singlePeople: number;
    faces: number;
    byFalseMatchRate: (ReturnType<typeof scoreClusters> & { falseMatchRate: number; default: boolean })[];
  };
};

function report(r: Result): string {
  const pct = (v: number) => `${(v * 100).toFixed(1)} %`;
  const s = r.search;
  const lines = [
    "# Faces over time: find a face, clusters of unknown faces (LFW)",
    "",
    `\`npm run bench:faces-over-time\` (bench/faces-over-time/run.ts), recognizer ${r.recognizer}, ${r.date.slice(0, 10)}, ${r.machine.cpu} × ${r.machine.cores}, ${r.seconds} s.`,
    "LFW pictures (shared data lfw_dev) embedded with the real detector and recognizer (the central face), fed to the coordinator's",
    "FaceStore as events, searched with `rankFaces` (what POST /api/faces/search ranks with) and clustered with `clusterEmbeddings`",
    "(what GET /api/faces/clusters shows).",
    "",
    "## Find a face",
    "",
    `${s.searches} searches: for each of ${s.identities} people with at least 3 pictures, the first picture is the search photo and the others are their kept events, among ${s.keptEvents} kept events in all (with ${s.distractorPeople} single-picture people as distractors)${s.noProbeFace > 0 ? `; ${s.noProbeFace} search photos without a face found` : ""}.`,
    "",
    "| k | recall@k (share of the person's events in the k nearest, of at most k) | hit@k (one of them in the k nearest) |",
    "| --- | --- | --- |",
    ...Object.keys(s.recallAtK).map((k) => `| ${k} | ${pct(s.recallAtK[k] as number)} | ${pct(s.hitAtK[k] as number)} |`),
    "",
    `At the search threshold (faces.searchFalseMatchRate ${s.atThreshold.falseMatchRate}: cosine distance ≤ ${s.atThreshold.maxDistance}), a search returns ${pct(s.atThreshold.recall)} of the person's events; ${pct(s.atThreshold.precision)} of what it returns is theirs (${s.atThreshold.meanReturned.toFixed(1)} faces a search on average).`,
    "",
    "## Clusters of unknown faces and clicks to name them",
    "",
    `${r.clusters.faces} unknown faces: ${r.clusters.identities} people with at least 4 pictures (at most 12 each) and ${r.clusters.singlePeople} people seen once. Purity: share of faces in a cluster whose majority is their person. Completeness: share of a person's faces in their largest cluster (people with 2+ faces). Clicks: one per cluster of 2+ faces named after its majority, plus one per face of another person in it (excluded / corrected); faces left alone in a cluster of one are not named. One by one: a click per face.`,
    "",
    "| cluster false-match rate | distance ≤ | clusters (2+ faces) | purity | completeness | clicks (corrections) | faces named | faces per click | left in clusters of one | one-by-one clicks |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ...r.clusters.byFalseMatchRate.map(
      (c) =>
        `| ${c.falseMatchRate}${c.default ? " (default)" : ""} | ${c.maxDistance} | ${c.clusters} (${c.clustersOfTwoOrMore}) | ${pct(c.purity)} | ${pct(c.completeness)} | ${c.clicks} (${c.corrections}) | ${c.namedFaces} | ${c.facesPerClick.toFixed(1)} | ${c.singletonFaces} | ${c.oneByOneClicks} |`,
    ),
    "",
  ];
  return `${lines.join("\n")}\n`;
}
