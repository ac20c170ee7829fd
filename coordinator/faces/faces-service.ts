/**
 * Faces over time: the kept faces of past events (face-store.ts) found again from a photo, and the unknown ones
 * clustered (embedding-clusters.ts) to be named or dismissed in bulk.
 *
 * - search: the photo goes decode → detect → its subject's face (recognition/dominant-face.ts, the rule of an
 *   enrollment photo, with lenient quality limits: a search photo may be a poor still) → align → embed, with the
 *   recognizer most kept faces were made with (the events' own model), and every kept face of that recognizer
 *   family within the search distance (face-thresholds.ts) is returned, nearest first.
 * - clusters: the kept unknown_person faces not named or dismissed yet (the newest `clusterMaxFaces`), per
 *   recognizer family; a cluster's id is a hash of its members, so it changes when they do (naming a cluster
 *   whose id is gone is a 409: list again).
 * - name: the cluster's most central faces (at most `enrollFaces`, never more than `maxEmbeddings` on the person)
 *   are added to the person on facefleet.gallery (created when absent) through the coordinator's one gallery
 *   writer (gallery/gallery-writer.ts), as corrections add a face (source `event:<id>`); the cluster's faces are
 *   marked named and leave the clusters. Faces listed in `exclude` are not named and stay unknown.
 * - dismiss: the cluster's faces leave the clusters (they stay searchable until the retention deletes them).
 */
import type { GalleryUpdates } from "../../gallery/gallery-writer.js";
import { loadManifest } from "../../models/manifest.js";
import type {
  DismissClusterResult,
  FaceCluster,
  FaceClusterList,
  FaceMatch,
  FaceSearchQuery,
  FaceSearchResult,
  NameClusterBody,
  NameClusterResult,
  StoredFace,
} from "../../protocol/api-faces.js";
import type { RecognitionEvent } from "../../protocol/event.js";
import { DecodeError } from "../../recognition/decode.js";
import { chooseEnrollmentFace, type EnrollmentRefusal } from "../../recognition/dominant-face.js";
import { DEFAULT_QUALITY_LIMITS, type FaceQualityLimits } from "../../recognition/face-quality.js";
import type { GalleryEntry, RecognizerStamp } from "../../recognition/gallery.js";
import { cosineDistance } from "../../recognition/match.js";
import { RecognitionPipeline } from "../../recognition/pipeline.js";
import type { RecognitionSettingsInput } from "../../recognition/recognition-settings.js";
import { ControlError } from "../control.js";
import { ModelsUnavailableError, PhotoRejectedError } from "../people/people-control.js";
import { clusterEmbeddings } from "./embedding-clusters.js";
import type { FaceStore, KeptFace } from "./face-store.js";
import { DEFAULT_CLUSTER_FALSE_MATCH_RATE, DEFAULT_SEARCH_FALSE_MATCH_RATE, familyOf, sameFaceDistance } from "./face-thresholds.js";

/** What the face routes call (ControlError "not-found" → 404, "conflict" → 409; PhotoRejectedError → 422). */
export interface FacesControl {
  search(image: Buffer, query: FaceSearchQuery): Promise<FaceSearchResult>;
  clusters(): FaceClusterList;
  name(clusterId: string, body: NameClusterBody): Promise<NameClusterResult>;
  dismiss(clusterId: string): Promise<DismissClusterResult>;
  crop(faceId: string): Promise<Buffer>;
}

export type FacesServiceOptions = {
  store: FaceStore;
  /** The coordinator's one gallery writer, shared with people and corrections. */
  writer: GalleryUpdates;
  recognition?: RecognitionSettingsInput;
  searchFalseMatchRate?: number;
  clusterFalseMatchRate?: number;
  /** Unknown faces clustered: the newest this many (the graph is quadratic). */
  clusterMaxFaces?: number;
  /** Faces of a named cluster enrolled (its most central ones). */
  enrollFaces?: number;
  /** Embeddings a person may have (as the people service's photos). */
  maxEmbeddings?: number;
  log?: (line: string) => void;
};

/** A search photo is often a poor still: only a face too small to recognise, or none, is refused. */
const SEARCH_QUALITY_LIMITS: FaceQualityLimits = {
  ...DEFAULT_QUALITY_LIMITS,
  size: { reject: 24, full: 96 },
  rollDegrees: { reject: 181, full: 20 },
  yaw: { reject: 100, full: 0.1 },
  pitch: { reject: 100, full: 0.1 },
  sharpness: { reject: -1, full: 1 },
};

const PHOTO_REJECTION: Record<EnrollmentRefusal, "no-face" | "several-faces" | "face-too-small" | "face-blurred" | "face-turned"> = {
  "no-face": "no-face",
  ambiguous: "several-faces",
  "too-small": "face-too-small",
  blurred: "face-blurred",
  turned: "face-turned",
};

const SHOWN_FACES = 8;
const LISTED_CLUSTERS = 200;

/** 64-bit FNV-1a of the members' ids, as 16 hex digits. */
function clusterId(ids: readonly string[]): string {
  let hash = 0xcbf29ce484222325n;
  for (const byte of new TextEncoder().encode([...ids].sort().join(",")))
    hash = ((hash ^ BigInt(byte)) * 0x100000001b3n) & 0xffffffffffffffffn;
  return hash.toString(16).padStart(16, "0");
}

type Cluster = { id: string; members: KeptFace[] };

export class FacesService implements FacesControl {
  private readonly pipelines = new Map<string, Promise<RecognitionPipeline>>();
  private cached: { revision: number; clusters: Cluster[]; faces: number } | undefined;
  private revision = 0;
  private queue: Promise<unknown> = Promise.resolve();
  readonly searchFalseMatchRate: number;
  readonly clusterFalseMatchRate: number;

  constructor(private readonly options: FacesServiceOptions) {
    this.searchFalseMatchRate = options.searchFalseMatchRate ?? DEFAULT_SEARCH_FALSE_MATCH_RATE;
    this.clusterFalseMatchRate = options.clusterFalseMatchRate ?? DEFAULT_CLUSTER_FALSE_MATCH_RATE;
  }

  get store(): FaceStore {
    return this.options.store;
  }

  /** An event of the feed (kept when it carries a face). Never throws. */
  async observe(event: RecognitionEvent): Promise<void> {
    try {
      if (await this.options.store.observe(event)) this.revision++;
    } catch (error) {
      this.options.log?.(`faces: cannot keep the face of ${event.camera}'s event: ${(error as Error).message}`);
    }
  }

  async search(image: Buffer, query: FaceSearchQuery): Promise<FaceSearchResult> {
    const pipeline = await this.pipeline(this.storedRecognizer());
    let analysis: Awaited<ReturnType<RecognitionPipeline["analyse"]>>;
    try {
      analysis = await pipeline.analyse(image);
    } catch (error) {
      if (error instanceof DecodeError)
        throw new PhotoRejectedError("bad-image", `${error.message} (expected a JPEG, PNG or WebP picture)`);
      throw error;
    }
    const choice = chooseEnrollmentFace(analysis.image, analysis.faces, { quality: SEARCH_QUALITY_LIMITS });
    if (!choice.accepted)
      throw new PhotoRejectedError(PHOTO_REJECTION[choice.refusal], `${choice.reason.charAt(0).toUpperCase()}${choice.reason.slice(1)}`);
    const recognizer = pipeline.recognizer;
    const maxDistance = query.maxDistance ?? sameFaceDistance(recognizer.modelId, this.searchFalseMatchRate) ?? 0.5;
    const { matches, searched } = rankFaces(this.options.store.all(), choice.face.embedding, recognizer, maxDistance);
    const { box } = choice.face;
    return {
      matches: matches.slice(0, query.limit ?? 100),
      searched,
      maxDistance,
      model: recognizer.modelId,
      box: [box.x, box.y, box.width, box.height],
      backgroundFaces: choice.ignored.length,
    };
  }

  clusters(): FaceClusterList {
    const { clusters, faces } = this.currentClusters();
    return {
      clusters: clusters.slice(0, LISTED_CLUSTERS).map(clusterView),
      faces,
      maxDistance: this.clusterDistance(this.storedRecognizer()),
      retentionHours: this.options.store.retentionHours,
    };
  }

  name(id: string, body: NameClusterBody): Promise<NameClusterResult> {
    return this.exclusive(async () => {
      const cluster = this.cluster(id);
      const excluded = new Set(body.exclude ?? []);
      const named = cluster.members.filter((face) => !excluded.has(face.id));
      if (named.length === 0) throw new ControlError("conflict", `every face of cluster ${id} is excluded: nothing to name`);
      const model = (named[0] as KeptFace).model;
      const stamp = recognizerStamp(model);
      const comparable = named.filter((face) => familyOf(face.model)?.family === stamp.family);
      const best = comparable.slice(0, this.options.enrollFaces ?? 5);
      const max = this.options.maxEmbeddings ?? 32;
      let enrolled = 0;
      let total = 0;
      const { version } = await this.options.writer.update((gallery) => {
        const current = gallery.get(body.name);
        if (current && (current.recognizer.family !== stamp.family || current.recognizer.embeddingSize !== stamp.embeddingSize))
          throw new ControlError(
            "conflict",
            `"${body.name}" was enrolled with recognizer ${current.recognizer.modelId}; these faces were made by ${model}: they do not compare`,
          );
        const embeddings: GalleryEntry[] = [...(current?.embeddings ?? [])];
        const rejects = (current?.rejects ?? []).filter((r) => !best.some((f) => r.source === `event:${f.id}`));
        enrolled = 0;
        for (const face of best) {
          if (embeddings.length >= max) break;
          if (embeddings.some((e) => e.source === `event:${face.id}`)) continue;
          embeddings.push({ vector: face.embedding, source: `event:${face.id}` });
          enrolled++;
        }
        total = embeddings.length;
        if (enrolled === 0 && current) return [];
        if (embeddings.length === 0) throw new ControlError("conflict", `"${body.name}" has ${max} faces already`);
        const identity = { ...(current ?? {}), name: body.name, embeddings, ...(rejects.length > 0 ? { rejects } : {}) };
        if (rejects.length === 0) delete (identity as { rejects?: unknown }).rejects;
        return [{ kind: "put", identity, recognizer: current?.recognizer ?? stamp }];
      });
      await this.options.store.mark(
        named.map((f) => f.id),
        { namedAs: body.name },
      );
      this.revision++;
      this.options.log?.(
        `faces: cluster ${id} named "${body.name}": ${named.length} faces, ${enrolled} enrolled (${total} in all); gallery version ${version}`,
      );
      return { name: body.name, named: named.length, enrolled, embeddings: total, galleryVersion: version };
    });
  }

  dismiss(id: string): Promise<DismissClusterResult> {
    return this.exclusive(async () => {
      const cluster = this.cluster(id);
      const dismissed = await this.options.store.mark(
        cluster.members.map((f) => f.id),
        { dismissed: true },
      );
      this.revision++;
      this.options.log?.(`faces: cluster ${id} dismissed (${dismissed} faces)`);
      return { dismissed };
    });
  }

  async crop(faceId: string): Promise<Buffer> {
    const crop = await this.options.store.crop(faceId);
    if (!crop) throw new ControlError("not-found", `no crop for face ${faceId} (or it is past the retention)`);
    return crop;
  }

  async stop(): Promise<void> {
    await this.queue.catch(() => undefined);
    await this.options.store.stop();
  }

  private cluster(id: string): Cluster {
    const cluster = this.currentClusters().clusters.find((c) => c.id === id);
    if (!cluster) throw new ControlError("conflict", `no cluster ${id} now: its faces changed (list the clusters again)`);
    return cluster;
  }

  private clusterDistance(modelId: string | undefined): number {
    return (modelId && sameFaceDistance(modelId, this.clusterFalseMatchRate)) || 0.5;
  }

  private currentClusters(): { clusters: Cluster[]; faces: number } {
    // The store changes on purge too: its size is part of the key.
    const revision = this.revision * 1_000_003 + this.options.store.size;
    if (this.cached?.revision === revision) return this.cached;
    const unknown = this.options.store
      .all()
      .filter((f) => f.type === "unknown_person" && f.namedAs === null && !f.dismissed)
      .slice(-(this.options.clusterMaxFaces ?? 2000));
    const byFamily = new Map<string, KeptFace[]>();
    for (const face of unknown) {
      const family = familyOf(face.model);
      if (!family) continue;
      const key = `${family.family}/${family.embeddingSize}`;
      byFamily.set(key, [...(byFamily.get(key) ?? []), face]);
    }
    const clusters: Cluster[] = [];
    for (const faces of byFamily.values()) {
      const distance = this.clusterDistance(faces[0]?.model);
      for (const { members } of clusterEmbeddings(
        faces.map((f) => f.embedding),
        distance,
      )) {
        const kept = members.map((i) => faces[i] as KeptFace);
        clusters.push({ id: clusterId(kept.map((f) => f.id)), members: kept });
      }
    }
    clusters.sort((a, b) => b.members.length - a.members.length || lastSeen(b) - lastSeen(a));
    this.cached = { revision, clusters, faces: unknown.length };
    return this.cached;
  }

  /** The recognizer most kept faces were made with (one the manifest knows), else the settings' own. */
  private storedRecognizer(): string | undefined {
    const counts = new Map<string, number>();
    for (const face of this.options.store.all()) if (familyOf(face.model)) counts.set(face.model, (counts.get(face.model) ?? 0) + 1);
    let best: string | undefined;
    for (const [model, count] of counts) if (best === undefined || count > (counts.get(best) ?? 0)) best = model;
    return best ?? this.options.recognition?.recognizer;
  }

  /** The models for a recognizer, loaded once (a failed load is retried on the next search). */
  private pipeline(recognizer: string | undefined): Promise<RecognitionPipeline> {
    const key = recognizer ?? "default";
    let loading = this.pipelines.get(key);
    if (!loading) {
      loading = (async () => {
        const settings = { ...(this.options.recognition ?? {}), ...(recognizer ? { recognizer } : {}) };
        if (recognizer && !(recognizer in loadManifest().models))
          throw new Error(`recognizer ${recognizer} is not in models/manifest.json`);
        const pipeline = await RecognitionPipeline.load(settings);
        this.options.log?.(
          `faces: models loaded for search (${pipeline
            .describe()
            .map((m) => `${m.role} ${m.model}`)
            .join(", ")})`,
        );
        return pipeline;
      })().catch((error: Error) => {
        this.pipelines.delete(key);
        throw new ModelsUnavailableError(`cannot load the recognition models: ${error.message.split("\n")[0]}`);
      });
      this.pipelines.set(key, loading);
    }
    return loading;
  }

  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

/** The kept faces of the probe's recognizer family within `maxDistance`, nearest first. */
export function rankFaces(
  faces: readonly KeptFace[],
  probe: Float32Array,
  recognizer: Pick<RecognizerStamp, "family" | "embeddingSize">,
  maxDistance: number,
): { matches: FaceMatch[]; searched: number } {
  const matches: FaceMatch[] = [];
  let searched = 0;
  for (const face of faces) {
    if (face.embedding.length !== recognizer.embeddingSize || familyOf(face.model)?.family !== recognizer.family) continue;
    searched++;
    const distance = cosineDistance(probe, face.embedding);
    if (distance <= maxDistance) matches.push({ ...faceView(face), distance: Math.round(distance * 1e4) / 1e4 });
  }
  matches.sort((a, b) => a.distance - b.distance || b.time - a.time);
  return { matches, searched };
}

export function faceView(face: KeptFace): StoredFace {
  return {
    id: face.id,
    type: face.type,
    camera: face.camera,
    time: face.time,
    agent: face.agent,
    trackId: face.trackId,
    identity: face.identity,
    model: face.model,
    cropUrl: face.hasCrop ? `/api/faces/${face.id}/crop.jpg` : null,
    namedAs: face.namedAs,
  };
}

const lastSeen = (cluster: Cluster) => Math.max(...cluster.members.map((f) => f.time));

function clusterView(cluster: Cluster): FaceCluster {
  const cameras = new Map<string, number>();
  for (const face of cluster.members) cameras.set(face.camera, (cameras.get(face.camera) ?? 0) + 1);
  const times = cluster.members.map((f) => f.time);
  return {
    id: cluster.id,
    size: cluster.members.length,
    faces: cluster.members.slice(0, SHOWN_FACES).map(faceView),
    cameras: [...cameras]
      .map(([camera, faces]) => ({ camera, faces }))
      .sort((a, b) => b.faces - a.faces || a.camera.localeCompare(b.camera)),
    firstSeen: Math.min(...times),
    lastSeen: Math.max(...times),
  };
}

/** A new person's recognizer: the faces' model, from the manifest. */
function recognizerStamp(model: string): RecognizerStamp {
  const family = familyOf(model);
  if (!family) throw new ControlError("conflict", `the faces were made by recognizer ${model}, which this coordinator does not know`);
  return { family: family.family, modelId: model, embeddingSize: family.embeddingSize };
}
