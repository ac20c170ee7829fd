/**
 * `facefleet kafka up --secure`: what a SASL_SSL broker needs, made once per data dir.
 *
 * - TLS (<data>/tls/, mode 0700): a CA (ca.pem) and a broker certificate it signs (EC P-256, SAN
 *   IP:127.0.0.1, DNS:localhost and the listen host), with openssl; the broker's key and certificate in
 *   broker.p12 (PKCS12, 0600) and the CA in truststore.p12 (keytool). The CA's private key is deleted once
 *   the broker certificate is signed: nothing on disk can sign another certificate this CA vouches for
 *   (a new one comes with a fresh data dir).
 * - Two SCRAM-SHA-512 users with random passwords, created when the storage is formatted
 *   (`StorageTool format --add-scram`): `facefleet-admin` (inter-broker, super user) and `facefleet`
 *   (agents, coordinator, CLI).
 * - secrets.json (keystore passwords, both users), credentials.json (the client user, the form of
 *   kafka/credentials.ts), admin-credentials.json and admin.properties (Kafka's own tools): all 0600.
 * - ACLs (StandardAuthorizer, created by `up` with the admin user each time it starts, which is a no-op once
 *   they exist): the client user may read, write, create, describe (and its configs) and alter (add
 *   partitions) topics whose name starts with `facefleet.`, and read, describe and delete consumer groups
 *   whose id starts with `facefleet`. Nothing else: no cluster operation, no other topic, no deletion of
 *   topics, no config changes. Any other user (authenticated or not) is refused.
 *
 * The controller listener stays PLAINTEXT, bound to 127.0.0.1 whatever the host: KRaft cannot use SCRAM
 * between broker and controller, and the broker's requests to its controller arrive as User:ANONYMOUS,
 * which is therefore a super user. Anyone who can open a connection to 127.0.0.1:<controller port> on this
 * machine can do what the controller's APIs allow (docs/threat-model.md says so).
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { chmod, mkdir, rm, writeFile } from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import kafkajs, { type KafkaConfig } from "kafkajs";
import { z } from "zod";
import { FacefleetError } from "../../core/errors.js";
import { lastMeaningfulLine } from "./java.js";
import type { LocalKafka } from "./options.js";

const { AclOperationTypes, AclPermissionTypes, AclResourceTypes, Kafka, logLevel, ResourcePatternTypes } = kafkajs;

export const ADMIN_USER = "facefleet-admin";
export const CLIENT_USER = "facefleet";
export const SCRAM_MECHANISM = "SCRAM-SHA-512";
/** Topics and consumer groups the client user may use (prefixes). */
export const CLIENT_TOPIC_PREFIX = "facefleet.";
export const CLIENT_GROUP_PREFIX = "facefleet";

const userSchema = z.strictObject({ username: z.string().min(1), password: z.string().min(16) });
const secretsSchema = z.strictObject({
  keystorePassword: z.string().min(16),
  truststorePassword: z.string().min(16),
  admin: userSchema,
  client: userSchema,
});
export type BrokerSecrets = z.output<typeof secretsSchema>;

export type SecurityMode = "plaintext" | "sasl_ssl";

/** A password of 32 characters from [A-Za-z0-9_-] (no character Kafka's --add-scram or JAAS syntax would need quoted). */
function password(): string {
  return randomBytes(24).toString("base64url");
}

export function keystoreFile(k: LocalKafka): string {
  return path.join(k.tlsDir, "broker.p12");
}
export function truststoreFile(k: LocalKafka): string {
  return path.join(k.tlsDir, "truststore.p12");
}
export function caFile(k: LocalKafka): string {
  return path.join(k.tlsDir, "ca.pem");
}

/** The mode the data dir was formatted with; a formatted dir without a mode file predates --secure (plaintext). */
export function recordedMode(k: LocalKafka, formatted: boolean): SecurityMode | undefined {
  if (existsSync(k.modeFile)) {
    const text = readFileSync(k.modeFile, "utf8").trim();
    if (text === "plaintext" || text === "sasl_ssl") return text;
    throw new FacefleetError(`${k.modeFile} says '${text.slice(0, 40)}', not plaintext or sasl_ssl`);
  }
  return formatted ? "plaintext" : undefined;
}

/**
 * Refuses to start a data dir in the other mode than it was formatted with (one line saying what to do):
 * a plaintext broker is never silently switched to SASL_SSL, nor a secure one opened without its listener.
 */
export function assertModeMatches(k: LocalKafka, formatted: boolean): void {
  const mode = recordedMode(k, formatted);
  const wanted: SecurityMode = k.secure ? "sasl_ssl" : "plaintext";
  if (mode === undefined || mode === wanted) return;
  if (wanted === "sasl_ssl")
    throw new FacefleetError(
      `${k.dataDir} holds a plaintext Kafka (formatted without --secure) and is not switched to SASL_SSL: stop it with 'facefleet kafka down --data-dir ${k.dataDir}' and run 'facefleet kafka up --secure --data-dir <a new dir>', or leave out --secure`,
    );
  throw new FacefleetError(
    `${k.dataDir} holds a SASL_SSL Kafka (formatted with --secure): add --secure (clients use ${k.credentialsFile}), or give another --data-dir for a plaintext one`,
  );
}

export async function writeModeFile(k: LocalKafka): Promise<void> {
  await writeFile(k.modeFile, `${k.secure ? "sasl_ssl" : "plaintext"}\n`);
}

/** Writes a file readable by its owner only (created 0600, and chmod'ed in case it existed). */
async function writeSecret(file: string, text: string): Promise<void> {
  await writeFile(file, text, { mode: 0o600 });
  await chmod(file, 0o600);
}

function run(command: string, args: string[], env: Record<string, string> = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } });
    let output = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (output += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (output += d));
    child.on("error", (error: NodeJS.ErrnoException) =>
      reject(
        error.code === "ENOENT"
          ? new FacefleetError(`${command} not found: kafka up --secure needs openssl and Java's keytool to make its TLS certificates`)
          : error,
      ),
    );
    child.on("close", (code) =>
      code === 0
        ? resolve()
        : reject(new FacefleetError(`${path.basename(command)} ${args[0]} failed: ${lastMeaningfulLine(output) ?? `exit code ${code}`}`)),
    );
  });
}

function keytool(): string {
  const home = process.env.JAVA_HOME;
  return home ? path.join(home, "bin", "keytool") : "keytool";
}

/** The broker certificate's subjectAltName: loopback, localhost, and the listen host. */
function subjectAltNames(host: string): string {
  const names = new Set(["IP:127.0.0.1", "DNS:localhost"]);
  names.add(net.isIP(host) !== 0 ? `IP:${host}` : `DNS:${host}`);
  return [...names].join(",");
}

/** CA, broker certificate, keystore and truststore (openssl + keytool) into tlsDir. */
async function makeTls(k: LocalKafka, secrets: BrokerSecrets): Promise<void> {
  await rm(k.tlsDir, { recursive: true, force: true });
  await mkdir(k.tlsDir, { recursive: true, mode: 0o700 });
  await chmod(k.tlsDir, 0o700);
  const f = (name: string) => path.join(k.tlsDir, name);
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
  await run("openssl", [
    "req",
    "-x509",
    ...ec,
    "-keyout",
    f("ca-key.pem"),
    "-out",
    f("ca.pem"),
    "-days",
    "3650",
    "-sha256",
    "-subj",
    "/CN=facefleet local Kafka CA",
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
  ]);
  await chmod(f("ca-key.pem"), 0o600);
  await run("openssl", ["req", ...ec, "-keyout", f("broker-key.pem"), "-out", f("broker.csr"), "-subj", "/CN=facefleet-kafka-broker"]);
  await chmod(f("broker-key.pem"), 0o600);
  await writeFile(
    f("broker.ext"),
    [
      "basicConstraints=CA:FALSE",
      "keyUsage=critical,digitalSignature,keyEncipherment",
      "extendedKeyUsage=serverAuth,clientAuth",
      `subjectAltName=${subjectAltNames(k.host)}`,
      "",
    ].join("\n"),
  );
  await run("openssl", [
    "x509",
    "-req",
    "-in",
    f("broker.csr"),
    "-CA",
    f("ca.pem"),
    "-CAkey",
    f("ca-key.pem"),
    "-set_serial",
    `0x${randomBytes(16).toString("hex")}`,
    "-days",
    "825",
    "-sha256",
    "-extfile",
    f("broker.ext"),
    "-out",
    f("broker.pem"),
  ]);
  await run(
    "openssl",
    [
      "pkcs12",
      "-export",
      "-in",
      f("broker.pem"),
      "-inkey",
      f("broker-key.pem"),
      "-certfile",
      f("ca.pem"),
      "-name",
      "broker",
      "-out",
      keystoreFile(k),
      "-passout",
      "env:FACEFLEET_KEYSTORE_PASSWORD",
    ],
    { FACEFLEET_KEYSTORE_PASSWORD: secrets.keystorePassword },
  );
  await chmod(keystoreFile(k), 0o600);
  await run(
    keytool(),
    [
      "-importcert",
      "-noprompt",
      "-alias",
      "facefleet-ca",
      "-file",
      f("ca.pem"),
      "-keystore",
      truststoreFile(k),
      "-storetype",
      "PKCS12",
      "-storepass:env",
      "FACEFLEET_TRUSTSTORE_PASSWORD",
    ],
    { FACEFLEET_TRUSTSTORE_PASSWORD: secrets.truststorePassword },
  );
  // The keys now live in broker.p12 only; the CA key is not kept (see above).
  for (const name of ["ca-key.pem", "broker-key.pem", "broker.csr", "broker.ext"]) await rm(f(name), { force: true });
  await chmod(caFile(k), 0o644);
}

function jaas(user: { username: string; password: string }): string {
  return `org.apache.kafka.common.security.scram.ScramLoginModule required username="${user.username}" password="${user.password}";`;
}

/**
 * The secrets and TLS files of a secure data dir: read when they exist, made (with the credentials files)
 * on the first `up --secure`. A formatted secure dir whose secrets are gone cannot be repaired (its SCRAM
 * users were made at format time): that is an error saying so.
 */
export async function ensureSecureMaterial(k: LocalKafka, formatted: boolean, onProgress: (line: string) => void): Promise<BrokerSecrets> {
  if (existsSync(k.secretsFile)) {
    const parsed = secretsSchema.safeParse(JSON.parse(readFileSync(k.secretsFile, "utf8")));
    if (!parsed.success) throw new FacefleetError(`${k.secretsFile} is not a facefleet secrets file; use a fresh --data-dir`);
    for (const file of [keystoreFile(k), truststoreFile(k), caFile(k)])
      if (!existsSync(file))
        throw new FacefleetError(`${file} is missing; the broker's TLS files cannot be remade for this data dir: use a fresh --data-dir`);
    return parsed.data;
  }
  if (formatted)
    throw new FacefleetError(`${k.secretsFile} is missing, so the SCRAM users of ${k.dataDir} are unknown: use a fresh --data-dir`);
  const secrets: BrokerSecrets = {
    keystorePassword: password(),
    truststorePassword: password(),
    admin: { username: ADMIN_USER, password: password() },
    client: { username: CLIENT_USER, password: password() },
  };
  await mkdir(k.dataDir, { recursive: true });
  await makeTls(k, secrets);
  const credentials = (user: { username: string; password: string }) =>
    `${JSON.stringify({ ssl: { ca: path.relative(k.dataDir, caFile(k)) }, sasl: { mechanism: "scram-sha-512", ...user } }, null, 2)}\n`;
  await writeSecret(k.credentialsFile, credentials(secrets.client));
  await writeSecret(k.adminCredentialsFile, credentials(secrets.admin));
  await writeSecret(
    k.adminProperties,
    [
      "# the admin user, for Kafka's own tools: kafka-acls.sh / kafka-configs.sh --command-config this file",
      "security.protocol=SASL_SSL",
      `sasl.mechanism=${SCRAM_MECHANISM}`,
      `sasl.jaas.config=${jaas(secrets.admin)}`,
      "ssl.truststore.type=PEM",
      `ssl.truststore.location=${caFile(k).replaceAll("\\", "\\\\")}`,
      "",
    ].join("\n"),
  );
  await writeSecret(k.secretsFile, `${JSON.stringify(secrets, null, 2)}\n`);
  onProgress(
    `made a CA and a broker certificate in ${k.tlsDir}, SCRAM users ${ADMIN_USER} and ${CLIENT_USER}; client credentials in ${k.credentialsFile}`,
  );
  return secrets;
}

/** The server.properties entries of a SASL_SSL broker (they replace the plaintext listener's). */
export function secureServerProperties(k: LocalKafka, secrets: BrokerSecrets): Record<string, string> {
  return {
    // The controller stays PLAINTEXT on loopback whatever the host (see the top of this file).
    "controller.quorum.voters": `1@127.0.0.1:${k.controllerPort}`,
    listeners: `SASL_SSL://${k.host}:${k.port},CONTROLLER://127.0.0.1:${k.controllerPort}`,
    "advertised.listeners": `SASL_SSL://${k.host}:${k.port}`,
    "inter.broker.listener.name": "SASL_SSL",
    "listener.security.protocol.map": "SASL_SSL:SASL_SSL,CONTROLLER:PLAINTEXT",
    "sasl.enabled.mechanisms": SCRAM_MECHANISM,
    "sasl.mechanism.inter.broker.protocol": SCRAM_MECHANISM,
    [`listener.name.sasl_ssl.${SCRAM_MECHANISM.toLowerCase()}.sasl.jaas.config`]: jaas(secrets.admin),
    "ssl.keystore.type": "PKCS12",
    "ssl.keystore.location": keystoreFile(k),
    "ssl.keystore.password": secrets.keystorePassword,
    "ssl.key.password": secrets.keystorePassword,
    "ssl.truststore.type": "PKCS12",
    "ssl.truststore.location": truststoreFile(k),
    "ssl.truststore.password": secrets.truststorePassword,
    "ssl.client.auth": "none",
    "ssl.endpoint.identification.algorithm": "https",
    "ssl.enabled.protocols": "TLSv1.3,TLSv1.2",
    // ACLs: only the admin user (and the controller channel, see above) is a super user; no ACL = refused.
    "authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
    "super.users": `User:${secrets.admin.username};User:ANONYMOUS`,
    "allow.everyone.if.no.acl.found": "false",
  };
}

/** `--add-scram` arguments of StorageTool format: both users, SCRAM-SHA-512. */
export function scramFormatArgs(secrets: BrokerSecrets): string[] {
  return [secrets.admin, secrets.client].flatMap((u) => ["--add-scram", `${SCRAM_MECHANISM}=[name=${u.username},password=${u.password}]`]);
}

/** kafkajs settings (ssl with the CA, SCRAM) for a user of this broker. */
export function kafkajsAuth(k: LocalKafka, user: { username: string; password: string }): Pick<KafkaConfig, "ssl" | "sasl"> {
  return {
    ssl: { ca: [readFileSync(caFile(k), "utf8")], rejectUnauthorized: true },
    sasl: { mechanism: "scram-sha-512", username: user.username, password: user.password },
  };
}

/** The client user's ACLs (listed at the top of this file), created with the admin user. */
export async function grantClientAcls(k: LocalKafka, secrets: BrokerSecrets): Promise<void> {
  const kafka = new Kafka({
    clientId: "facefleet-kafka-up",
    brokers: [k.bootstrap],
    logLevel: logLevel.NOTHING,
    retry: { retries: 3 },
    ...kafkajsAuth(k, secrets.admin),
  });
  const admin = kafka.admin();
  const principal = `User:${secrets.client.username}`;
  const allow = (resourceType: kafkajs.AclResourceTypes, resourceName: string, operation: kafkajs.AclOperationTypes) => ({
    resourceType,
    resourceName,
    resourcePatternType: ResourcePatternTypes.PREFIXED,
    principal,
    host: "*",
    operation,
    permissionType: AclPermissionTypes.ALLOW,
  });
  const T = AclResourceTypes.TOPIC;
  const G = AclResourceTypes.GROUP;
  const O = AclOperationTypes;
  try {
    await admin.connect();
    await admin.createAcls({
      acl: [
        ...[O.READ, O.WRITE, O.CREATE, O.DESCRIBE, O.DESCRIBE_CONFIGS, O.ALTER].map((op) => allow(T, CLIENT_TOPIC_PREFIX, op)),
        ...[O.READ, O.DESCRIBE, O.DELETE].map((op) => allow(G, CLIENT_GROUP_PREFIX, op)),
      ],
    });
  } catch (error) {
    throw new FacefleetError(`could not create the client user's ACLs on ${k.bootstrap}: ${(error as Error).message}`);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
