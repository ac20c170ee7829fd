import { ClassifierMatcher, readClassifier } from "./classifier.js";
import { assertSameRecognizer, readGallery } from "./gallery.js";
import { type FaceMatcher, GalleryMatcher } from "./match.js";
import type { RecognitionPipeline } from "./pipeline.js";

export type MatcherChoice = { gallery?: string; classifier?: string; threshold?: number };

/**
 * The classifier when one is given (confidence threshold), else nearest-neighbour on the gallery (distance
 * threshold). Thresholds default to the recognizer's calibrated values in models/manifest.json.
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
  return new GalleryMatcher(gallery, choice.threshold ?? pipeline.thresholds.cosineDistance);
}
