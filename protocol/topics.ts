/** Kafka topic names (docs/design.md). */
export const topics = {
  frames: "facefleet.frames",
  detections: "facefleet.detections",
  annotated: "facefleet.annotated",
  events: "facefleet.events",
  dlq: "facefleet.dlq",
  gallery: "facefleet.gallery",
  plan: "facefleet.plan",
} as const;

export type TopicName = (typeof topics)[keyof typeof topics];
