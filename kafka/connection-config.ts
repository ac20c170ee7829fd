import { z } from "zod";

/** TLS to the brokers: `true` (the system's CAs) or PEM files; paths are read when the client is made. */
export const kafkaSslSchema = z.union([
  z.boolean(),
  z.strictObject({
    /** PEM files; paths are read at start. */
    ca: z.string().min(1).optional(),
    cert: z.string().min(1).optional(),
    key: z.string().min(1).optional(),
    rejectUnauthorized: z.boolean().default(true),
  }),
]);

/** SASL: mechanism, user and password (never logged; `facefleet kafka up --secure` makes SCRAM-SHA-512 users). */
export const kafkaSaslSchema = z.strictObject({
  mechanism: z.enum(["plain", "scram-sha-256", "scram-sha-512"]),
  username: z.string().min(1),
  password: z.string().min(1),
});

/** How an agent, producer or coordinator reaches Kafka: the local broker or an external cluster. */
export const kafkaConnectionSchema = z.strictObject({
  brokers: z
    .array(z.string().regex(/^[^\s:]+:\d{1,5}$/, "must be host:port"))
    .min(1)
    .default(["127.0.0.1:9092"]),
  clientId: z.string().min(1).default("facefleet"),
  ssl: kafkaSslSchema.default(false),
  sasl: kafkaSaslSchema.optional(),
  /**
   * A credentials file (JSON: `ssl`, `sasl`), such as the one `facefleet kafka up --secure` writes
   * (kafka/credentials.ts): it fills `ssl` when that is left false and `sasl` when that is absent.
   */
  credentials: z.string().min(1).optional(),
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
