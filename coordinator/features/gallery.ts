/**
 * The coordinator's one copy of facefleet.gallery (gallery/open-gallery.ts): one reader and one writer, shared by
 * the people and corrections features (given this feature when they are constructed), so an upload and a
 * correction of the same person go through one queue and neither is lost.
 */
import type { Kafka } from "kafkajs";
import { type OpenGallery, openGallery } from "../../gallery/open-gallery.js";
import type { Feature, FeatureContext } from "../feature.js";

export class GalleryFeature implements Feature {
  readonly name = "gallery";
  private opened: OpenGallery | undefined;

  constructor(private readonly kafka: Kafka) {}

  /** The reader and the writer; only once started. */
  get gallery(): OpenGallery {
    if (!this.opened) throw new Error("gallery: not started");
    return this.opened;
  }

  async start({ log }: FeatureContext): Promise<void> {
    this.opened = await openGallery({ kafka: this.kafka, clientName: "coordinator-gallery", log });
  }

  async stop(): Promise<void> {
    await this.opened?.stop();
    this.opened = undefined;
  }
}
