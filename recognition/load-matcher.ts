import { ClassifierMatcher, readClassifier } from "./classifier.js";
import { assertSameRecognizer, readGallery } from "./gallery.js";
import { countMatchableIdentities } from "./gallery-threshold.js";
import { type FaceMatcher, GalleryMatcher } from "./match.js";
import type { RecognitionPipeline } from "./pipeline.js";

export type MatcherChoice = {
  gallery?: string;
  classifier?: string;
  /** Explicit threshold: wins over the default. */
  threshold?: number;
  /** Open-set false-accept rate the gallery's default threshold is derived for (default 1 %). */
  falseAcceptRate?: number;
};

/**
 * The classifier when one is given (confidence threshold), else nearest-neighbour on the gallery (distance
 * threshold). The classifier's threshold defaults to the recognizer's value in models/manifest.json; the distance
 * threshold to the one that fits the gallery's size for the false-accept target (recognition/gallery-threshold.ts).
 */
export async function loadMatcher(pipeline: RecognitionPipeline, choice: MatcherChoice): Promise<FaceMatcher> {
  if (choice.classifier) {
    const model = await readClassifier(choice.classifier);
    assertSameRecognizer(model, pipeline.recognizer, `classifier ${choice.classifier}`);
    return new ClassifierMatcher(model, choice.threshold ?? pipeline.thresholds.classifierConfidence);
  }
  if (!choice.gallery) throw new Error("a gallery or a classifier is needed to name faces");
  const gallery = await readGallery(choice.gallery);
  assertSameRecognizer(gallery, pipeline.recognizer, `gallery ${choice.gallery}`);
  const threshold =
    choice.threshold ?? pipeline.galleryThreshold(countMatchableIdentities(gallery.identities), choice.falseAcceptRate).threshold;
  return new GalleryMatcher(gallery, threshold);
}
