import { z } from "zod";

/**
 * A face's attributes (recognition/attributes/): by name (`emotion`, `age`, `gender`, or a later plug-in's), each
 * a value (a class label, or a number such as an age in years) with the model's confidence (0..1). Estimated once
 * per track by default (agent worker.attributes), so every face of a track carries its track's attributes.
 */
export const faceAttributesSchema = z.record(
  z.string().regex(/^[a-z][a-z0-9_]{0,31}$/, "must be a lowercase attribute name"),
  z.strictObject({ value: z.union([z.string().min(1).max(64), z.number()]), confidence: z.number().min(0).max(1) }),
);

export type FaceAttributesRecord = z.infer<typeof faceAttributesSchema>;
