import { z } from "zod";

/** How an agent, producer or coordinator reaches Kafka: the local broker or an external cluster. */
export const kafkaConnectionSchema = z.strictObject({
  brokers: z
    .array(z.string().regex(/^[^\s:]+:\d{1,5}$/, "must be host:port"))
    .min(1)
    .default(["127.0.0.1:9092"]),
  clientId: z.string().min(1).default("facefleet"),
  ssl: z
    .union([
      z.boolean(),
      z.strictObject({
        /** PEM files; paths are read at start. */
        ca: z.string().optional(),
        cert: z.string().optional(),
        key: z.string().optional(),
        rejectUnauthorized: z.boolean().default(true),
      }),
    ])
    .default(false),
  sasl: z
    .strictObject({
      mechanism: z.enum(["plain", "scram-sha-256", "scram-sha-512"]),
      username: z.string().min(1),
      password: z.string().min(1),
    })
    .optional(),
  connectionTimeoutMs: z.number().int().positive().default(3000),
  requestTimeoutMs: z.number().int().positive().default(30000),
});

export type KafkaConnection = z.output<typeof kafkaConnectionSchema>;
export type KafkaConnectionInput = z.input<typeof kafkaConnectionSchema>;

/**
 * A broker list as people type it (`--brokers`, FACEFLEET_KAFKA_BROKERS, facefleet.yaml's `kafka.brokers: a:9092,b:9092`):
 * comma-separated, blanks around the commas and empty entries dropped. Each entry is checked by the schema.
 */
export function parseBrokerList(text: string): string[] {
  return text
    .split(",")
    .map((b) => b.trim())
    .filter((b) => b !== "");
}
