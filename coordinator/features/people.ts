/** People and their photos (enrollment from the dashboard, into facefleet.gallery through the shared gallery feature); `galleryChanged` on the bus. */
import type { ApiRoute } from "../api/route.js";
import { peopleRoutes } from "../api/routes-people.js";
import type { Feature, FeatureContext } from "../feature.js";
import { PeopleService } from "../people/people-service.js";
import type { GalleryFeature } from "./gallery.js";

export class PeopleFeature implements Feature {
  readonly name = "people";
  private service: PeopleService | undefined;

  constructor(private readonly gallery: GalleryFeature) {}

  async start({ config, bus, log }: FeatureContext): Promise<void> {
    this.service = await PeopleService.start({
      gallery: this.gallery.gallery,
      recognition: config.recognition,
      log,
      onChange: (message) => {
        if (message.type === "gallery") bus.emit("galleryChanged", { version: message.version, identities: message.identities });
      },
    });
  }

  /** The people service; only once started. */
  get people(): PeopleService {
    if (!this.service) throw new Error("people: not started");
    return this.service;
  }

  routes(): ApiRoute[] {
    if (!this.service) throw new Error("people: not started");
    return peopleRoutes(this.service);
  }

  async stop(): Promise<void> {
    await this.service?.stop();
  }
}
