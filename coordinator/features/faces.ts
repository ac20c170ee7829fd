/** Faces over time (coordinator/faces/): keeps the faces of the feed's events, finds a face, clusters the unknown ones; names through the shared gallery. */
import { join } from "node:path";
import type { ApiRoute } from "../api/route.js";
import { faceRoutes } from "../api/routes-faces.js";
import { FaceStore } from "../faces/face-store.js";
import { FacesService } from "../faces/faces-service.js";
import type { Feature, FeatureContext } from "../feature.js";
import type { GalleryFeature } from "./gallery.js";

export class FacesFeature implements Feature {
  readonly name = "faces";
  private service: FacesService | undefined;
  private unsubscribe: (() => void) | undefined;

  constructor(private readonly gallery: GalleryFeature) {}

  async start({ config, bus, log, atRest }: FeatureContext): Promise<void> {
    const { faces } = config;
    const store = await FaceStore.open({
      dir: join(config.stateDir, "faces"),
      files: atRest,
      retentionHours: faces.retentionHours,
      maxFaces: faces.maxFaces,
      purgeIntervalMs: faces.purgeIntervalMs,
      log,
    });
    const service = new FacesService({
      store,
      writer: this.gallery.gallery.writer,
      recognition: config.recognition,
      searchFalseMatchRate: faces.searchFalseMatchRate,
      clusterFalseMatchRate: faces.clusterFalseMatchRate,
      clusterMaxFaces: faces.clusterMaxFaces,
      enrollFaces: faces.enrollFaces,
      log,
    });
    this.service = service;
    this.unsubscribe = bus.on("recognitionEvent", (event) => void service.observe(event));
  }

  /** The kept faces; only once started. */
  get store(): FaceStore {
    if (!this.service) throw new Error("faces: not started");
    return this.service.store;
  }

  routes(): ApiRoute[] {
    if (!this.service) throw new Error("faces: not started");
    return faceRoutes(this.service);
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    await this.service?.stop();
  }
}
