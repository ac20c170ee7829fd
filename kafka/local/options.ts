import path from "node:path";
import { z } from "zod";
import { UsageError } from "../../core/errors.js";

/** Where a developer's broker lives unless told otherwise (relative to the current directory). */
export const DEFAULT_DATA_DIR = ".facefleet/kafka";
export const DEFAULT_JARS_DIR = ".facefleet/kafka/jars";

const port = z.number().int().min(1).max(65535);

/** Options of `kafka up | down | status`, validated at the boundary. */
export const KafkaOptionsSchema = z
  .strictObject({
    /** Broker state: server.properties, the KRaft log dirs, the broker log, the pid file. */
    dataDir: z.string().min(1).default(DEFAULT_DATA_DIR),
    /** Apache Kafka's jars (resolved from Maven Central on first `up`). */
    jarsDir: z.string().min(1).default(DEFAULT_JARS_DIR),
    /** Address the broker and controller listen on; a laptop broker stays on loopback. */
    host: z.string().min(1).default("127.0.0.1"),
    port: port.default(9092),
    controllerPort: port.default(9093),
    /** JVM heap (-Xms/-Xmx), e.g. 512m or 1g. */
    heap: z
      .string()
      .regex(/^[1-9][0-9]*[mMgG]$/, "heap must be a size in m or g, such as 512m or 1g")
      .default("512m"),
    /** How long `up` waits for the broker to answer. */
    startTimeoutMs: z.number().int().positive().default(90_000),
    /** How long `down` waits after SIGTERM before SIGKILL. */
    stopTimeoutMs: z.number().int().positive().default(30_000),
    /**
     * `up --secure`: a SASL_SSL listener (SCRAM-SHA-512, TLS with a CA made on the first secure `up`) and
     * ACLs (kafka/local/secure.ts). A data dir keeps the mode it was formatted with; asking for the other fails.
     */
    secure: z.boolean().default(false),
  })
  .refine((o) => o.port !== o.controllerPort, {
    message: "broker port and controller port must differ",
    path: ["controllerPort"],
  });

export type KafkaOptionsInput = z.input<typeof KafkaOptionsSchema>;

/** Validated options plus every file the broker uses, as absolute paths. */
export type LocalKafka = z.output<typeof KafkaOptionsSchema> & {
  bootstrap: string;
  serverProperties: string;
  log4jProperties: string;
  /** log.dirs: KRaft metadata and topic data. */
  logDirs: string;
  /** The broker's stdout/stderr. */
  logFile: string;
  pidFile: string;
  /** The mode the data dir was formatted with (`plaintext` or `sasl_ssl`); absent in dirs made before --secure: plaintext. */
  modeFile: string;
  /** --secure: the CA, the broker's keystore and truststore. */
  tlsDir: string;
  /** --secure: the generated passwords (keystore, admin and client users), mode 0600; read by `up` only. */
  secretsFile: string;
  /** --secure: the client user's credentials (kafka/credentials.ts), mode 0600: what agents, coordinator and CLI are pointed at. */
  credentialsFile: string;
  /** --secure: the admin user's credentials in the same form (topics, ACLs), mode 0600. */
  adminCredentialsFile: string;
  /** --secure: the admin user as a Java client config, for Kafka's own tools (--command-config), mode 0600. */
  adminProperties: string;
};

export function resolveKafkaOptions(input: KafkaOptionsInput = {}, cwd = process.cwd()): LocalKafka {
  const parsed = KafkaOptionsSchema.safeParse(input);
  if (!parsed.success) {
    const first = parsed.error.issues
      .map((issue) => `${issue.path.length > 0 ? `${issue.path.join(".")}: ` : ""}${issue.message}`)
      .join("; ");
    throw new UsageError(`invalid kafka options: ${first}`);
  }
  const o = parsed.data;
  const dataDir = path.resolve(cwd, o.dataDir);
  return {
    ...o,
    dataDir,
    jarsDir: path.resolve(cwd, o.jarsDir),
    bootstrap: `${o.host}:${o.port}`,
    serverProperties: path.join(dataDir, "server.properties"),
    log4jProperties: path.join(dataDir, "log4j.properties"),
    logDirs: path.join(dataDir, "data"),
    logFile: path.join(dataDir, "broker.log"),
    pidFile: path.join(dataDir, "broker.pid"),
    modeFile: path.join(dataDir, "security-mode"),
    tlsDir: path.join(dataDir, "tls"),
    secretsFile: path.join(dataDir, "secrets.json"),
    credentialsFile: path.join(dataDir, "credentials.json"),
    adminCredentialsFile: path.join(dataDir, "admin-credentials.json"),
    adminProperties: path.join(dataDir, "admin.properties"),
  };
}
