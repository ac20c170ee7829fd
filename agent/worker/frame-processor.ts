import { performance } from "node:perf_hooks";
import sharp from "sharp";
import { DETECTION_SCHEMA_VERSION, type Detection, detectionSchema } from "../../protocol/detection.js";
import { EVENT_SCHEMA_VERSION, type RecognitionEvent, recognitionEventSchema } from "../../protocol/event.js";
import type { FaceAttributes } from "../../recognition/attributes/attribute-model.js";
import type { AttributeModels } from "../../recognition/attributes/attribute-models.js";
import { toFaceResult } from "../../recognition/face-result.js";
import { type DecodedDetection, type FrameDetection, inProcessDetection } from "../../recognition/frame-detection.js";
import type { RgbImage } from "../../recognition/image.js";
import type { FaceMatcher, MatchResult } from "../../recognition/match.js";
import type { AnalysedFace, RecognisedFace, RecognitionPipeline } from "../../recognition/pipeline.js";
import type { FrameAnnotator } from "./annotator.js";
import { type AttributeSettings, attributesFor } from "./attribute-settings.js";
import type { FrameRecord } from "./frame-intake.js";
import { checkFramePicture } from "./frame-picture.js";
import type { FrameOutputs } from "./outputs.js";
import type { Stage } from "./stats.js";
import type { FaceSample, TrackEvent, Trackers } from "./tracker.js";

/** The gallery as the processor needs it: the matcher and the version it came from, read together per frame. */
export type GalleryView = { readonly matcher: FaceMatcher; readonly version: number };

/**
 * `embeddings`: faces aligned and embedded in this frame (`run`), and faces large enough to be named that were
 * not, because their track is named (`skipped`, recognise once per track).
 */
export type ProcessedFrame = FrameOutputs & {
  timings: Partial<Record<Stage, number>>;
  embeddings: { run: number; skipped: number };
  /** Faces whose attributes were estimated in this frame (worker.attributes; 0 when the camera has none on). */
  attributesRun: number;
};

/** The attribute models the agent loaded and the settings that say which camera uses which (worker.attributes). */
export type AttributeStage = { models: AttributeModels; settings: AttributeSettings };

const ms = (v: number) => Math.max(0, Math.round(v * 10) / 10);

/** JPEG quality of an event's face crop: a 150x150 chip is 4-6 KB. */
const CROP_JPEG_QUALITY = 80;

/** An event's face crop: the aligned chip as base64 JPEG. */
export async function encodeCrop(chip: RgbImage): Promise<string> {
  const raw = Buffer.from(chip.data.buffer, chip.data.byteOffset, chip.data.byteLength);
  const jpeg = await sharp(raw, { raw: { width: chip.width, height: chip.height, channels: 3 } })
    .jpeg({ quality: CROP_JPEG_QUALITY })
    .toBuffer();
  return jpeg.toString("base64");
}

/** An embedding for an event: plain numbers rounded to 1e-5 (about 8 characters each in JSON). */
export const roundEmbedding = (embedding: Float32Array): number[] => Array.from(embedding, (v) => Math.round(v * 1e5) / 1e5);

/**
 * One admitted frame through decode → detect (the pipeline), the choice of faces to recognise (those whose
 * track is not confidently named, tracker.ts embeddingsNeeded), align → embed for those in one batched run
 * (the pipeline), match (the gallery), track (per camera, named by its best faces, tracker.ts) and annotate,
 * into its detection, annotated JPEG and events (docs/data-path.md). Each embedded face's aligned chip is
 * cut once and is the one an event's crop shows. Throws DecodeError (recognition/decode.ts) for bytes that
 * are not a picture.
 */
export class FrameProcessor {
  private readonly models: Detection["models"];

  constructor(
    private readonly pipeline: RecognitionPipeline,
    private readonly gallery: GalleryView,
    private readonly trackers: Trackers,
    private readonly agent: string,
    /** The annotate step (annotator.ts); false: never annotate. */
    private readonly annotator: FrameAnnotator | false,
    /** Per-face attributes (attribute-settings.ts); null: none on any camera. */
    private readonly attributes: AttributeStage | null = null,
    /** Where frames are decoded and detected (default: on this thread, by the pipeline; the agent's worker may use a thread of its own). */
    readonly detection: FrameDetection = inProcessDetection(pipeline),
  ) {
    const described = pipeline.describe();
    this.models = {
      detector: described.find((m) => m.role === "detector")?.model ?? "unknown",
      recognizer: described.find((m) => m.role === "recognizer")?.model ?? "unknown",
    };
  }

  /**
   * The decode and detect stages of a frame, after its picture header is checked against its headers
   * (frame-picture.ts): started ahead of `process` by a worker that keeps two frames in flight. */
  async detect(frame: FrameRecord): Promise<DecodedDetection> {
    await checkFramePicture(frame.bytes, frame.headers);
    return this.detection.run(frame.bytes, frame.headers.camera);
  }

  /**
   * The whole frame; `detected`: its decode and detect stages if they were started earlier (`detect`). Its
   * timings' `total` is the sum of its stages' time, wherever they ran (not the wall time since `detected` began).
   */
  async process(
    frame: FrameRecord,
    startedAt = Date.now(),
    detected: Promise<DecodedDetection> = this.detect(frame),
  ): Promise<ProcessedFrame> {
    const { headers } = frame;
    const { image, faces: detectedFaces, rejected, timings: detectTimings } = await detected;
    const t0 = performance.now();
    const tracker = this.trackers.for(headers.camera);
    const { matcher, version } = this.gallery; // one gallery for the whole frame
    const needed = tracker.embeddingsNeeded(headers.seq, headers["capture-time"], detectedFaces, matcher);
    const recognisable = detectedFaces.map((face) => this.pipeline.isRecognisable(face));
    const chosen = detectedFaces.filter((_, i) => recognisable[i] && needed[i]);
    const recognised = await this.pipeline.recognise(image, chosen);
    const byFace = new Map(chosen.map((face, i) => [face, recognised.faces[i] as RecognisedFace]));
    const analysis = {
      image,
      rejected,
      faces: detectedFaces.map(
        (face): AnalysedFace => ({ ...face, chip: byFace.get(face)?.chip ?? null, embedding: byFace.get(face)?.embedding ?? null }),
      ),
      timings: { ...detectTimings, ...recognised.timings },
    };
    const embeddings = { run: chosen.length, skipped: recognisable.filter((r, i) => r && !needed[i]).length };

    // Attributes: on the faces large enough to be named whose track has none yet (or every such face: every "frame").
    const names = this.attributes ? attributesFor(this.attributes.settings, headers.camera) : [];
    const attributeFaces = new Map<AnalysedFace, FaceAttributes>();
    let attributeMs: number | undefined;
    if (this.attributes && names.length > 0) {
      const wanted =
        this.attributes.settings.every === "frame"
          ? detectedFaces.map(() => true)
          : tracker.attributesNeeded(headers.seq, headers["capture-time"], detectedFaces);
      const indices = detectedFaces.flatMap((_, i) => (recognisable[i] && wanted[i] ? [i] : []));
      const estimated = await this.attributes.models.estimate(
        image,
        indices.map((i) => analysis.faces[i] as AnalysedFace),
        names,
      );
      indices.forEach((i, k) => {
        attributeFaces.set(analysis.faces[i] as AnalysedFace, estimated.attributes[k] as FaceAttributes);
      });
      attributeMs = estimated.ms;
    }

    const t1 = performance.now();
    const matches: (MatchResult | null)[] = analysis.faces.map((face) => (face.embedding ? matcher.match(face.embedding) : null));

    const t2 = performance.now();
    const tracked = tracker.update(
      headers.seq,
      headers["capture-time"],
      analysis.faces.map((face, i) => {
        const { chip, embedding } = face;
        // The chip the recognizer embedded (cut once, by the pipeline): kept when the face becomes its track's heaviest.
        const sample = chip && embedding ? (): FaceSample => ({ chip, embedding }) : undefined;
        return {
          box: face.box,
          score: face.score,
          landmarks: face.landmarks,
          match: matches[i] ?? null,
          embedding,
          ...(sample ? { sample } : {}),
          ...(attributeFaces.has(face) ? { attributes: attributeFaces.get(face) as FaceAttributes } : {}),
        };
      }),
      matcher,
    );

    const t3 = performance.now();
    const faces = analysis.faces.map((face, i) => {
      const track = tracked.faces[i];
      const result = toFaceResult(face, null);
      const out: Detection["faces"][number] = { ...result, identity: track?.identity ?? result.identity, trackId: track?.trackId ?? null };
      if (track?.distance !== undefined) out.distance = Math.round(track.distance * 1e4) / 1e4;
      if (track?.confidence !== undefined) out.confidence = Math.round(track.confidence * 1e4) / 1e4;
      // The track's attributes; with every: "frame", this frame's own estimate where there is one.
      const own = this.attributes?.settings.every === "frame" ? attributeFaces.get(face) : undefined;
      const attributes = own ?? track?.attributes;
      if (attributes !== undefined) out.attributes = attributes;
      return out;
    });
    // Only when something consumes it (annotator.ts); the boxes and names are in the detection either way.
    const annotated = this.annotator ? await this.annotator.annotate(headers.camera, headers["capture-time"], analysis.image, faces) : null;
    const t4 = performance.now();

    const doneTime = Date.now();
    const timings = {
      queue: ms(startedAt - headers["capture-time"]),
      decode: ms(analysis.timings.decode),
      detect: ms(analysis.timings.detect),
      align: ms(analysis.timings.align),
      embed: ms(analysis.timings.embed),
      match: ms(t2 - t1),
      track: ms(t3 - t2),
      ...(attributeMs !== undefined ? { attributes: ms(attributeMs) } : {}),
      total: ms(detectTimings.decode + detectTimings.detect + (t4 - t0)),
    };
    const detection: Detection = detectionSchema.parse({
      schemaVersion: DETECTION_SCHEMA_VERSION,
      camera: headers.camera,
      seq: headers.seq,
      captureTime: headers["capture-time"],
      doneTime,
      agent: this.agent,
      partition: frame.partition,
      offset: frame.offset,
      width: analysis.image.width,
      height: analysis.image.height,
      faces,
      ...(analysis.rejected.length > 0 ? { rejectedFaces: analysis.rejected.length } : {}),
      models: this.models,
      galleryVersion: version,
      timingsMs: timings,
    });
    // Crops are encoded only for the frames that announce something (a few per track).
    const crops = new Map<FaceSample, Promise<string>>();
    const cropOf = (sample: FaceSample) => {
      let crop = crops.get(sample);
      if (crop === undefined) {
        crop = encodeCrop(sample.chip);
        crops.set(sample, crop);
      }
      return crop;
    };
    const events = await Promise.all(
      tracked.events.map(async (event) =>
        this.stampEvent(headers.camera, event, doneTime, event.sample ? await cropOf(event.sample) : undefined),
      ),
    );
    return { detection, annotated, events, timings: { ...timings, annotate: ms(t4 - t3) }, embeddings, attributesRun: attributeFaces.size };
  }

  /**
   * A tracker event as a facefleet.events record; an announcement with a face sample also carries the
   * sample's embedding, the recognizer id and `crop` (base64 JPEG from encodeCrop) when given.
   */
  stampEvent(camera: string, event: TrackEvent, time = Date.now(), crop?: string): RecognitionEvent {
    const { sample, ...fields } = event;
    const face = sample ? { embedding: roundEmbedding(sample.embedding), model: this.models.recognizer, ...(crop ? { crop } : {}) } : {};
    return recognitionEventSchema.parse({ schemaVersion: EVENT_SCHEMA_VERSION, camera, agent: this.agent, time, ...fields, ...face });
  }
}
