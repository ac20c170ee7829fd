/** "Forget this person" across the gallery, the people service, the kept faces, the recent events and the alerts (coordinator/privacy/). */
import type { ApiRoute } from "../api/route.js";
import { privacyRoutes } from "../api/routes-privacy.js";
import type { Feature, FeatureContext } from "../feature.js";
import { PersonForgetter } from "../privacy/forget-person.js";
import type { CorrectionsFeature } from "./corrections.js";
import type { FacesFeature } from "./faces.js";
import type { GalleryFeature } from "./gallery.js";
import type { PeopleFeature } from "./people.js";

export class PrivacyFeature implements Feature {
  readonly name = "privacy";
  private forgetter: PersonForgetter | undefined;

  constructor(
    private readonly parts: { gallery: GalleryFeature; people: PeopleFeature; faces: FacesFeature; corrections: CorrectionsFeature },
  ) {}

  async start({ log }: FeatureContext): Promise<void> {
    const { gallery, people, faces, corrections } = this.parts;
    this.forgetter = new PersonForgetter({
      reader: gallery.gallery.reader,
      writer: gallery.gallery.writer,
      faces: faces.store,
      events: corrections.running.service,
      alerts: corrections.running.alerts,
      dropPending: (name) => people.people.dropPending(name),
      log,
    });
  }

  routes(): ApiRoute[] {
    if (!this.forgetter) throw new Error("privacy: not started");
    return privacyRoutes(this.forgetter);
  }

  async stop(): Promise<void> {}
}
