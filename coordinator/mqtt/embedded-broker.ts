import { timingSafeEqual } from "node:crypto";
import { readFile } from "node:fs/promises";
import { type AddressInfo, createServer as createTcpServer, type Server } from "node:net";
import { join } from "node:path";
import { createServer as createTlsServer } from "node:tls";
import { Aedes, type AuthenticateError } from "aedes";
import { FacefleetError } from "../../core/errors.js";
import { type EmbeddedBrokerConfigInput, parseEmbeddedBrokerConfig } from "./broker-config.js";
import { resolveCredentials } from "./credentials.js";
import { RetainedStore } from "./retained-store.js";

export const RETAINED_FILE = "mqtt-retained.json";

export type EmbeddedBrokerOptions = EmbeddedBrokerConfigInput & {
  /** Where the coordinator's lines go (the generated password is printed here once). */
  log?: (line: string) => void;
};

export type EmbeddedBroker = {
  /** `mqtt://host:port`, or `mqtts://` with TLS; the actual port when 0 was asked for. */
  url: string;
  username: string;
  password: string;
  /** Closes client connections and the listener, then waits for the retained messages to be on disk. */
  close(): Promise<void>;
};

/** The internals of aedes this module relies on (not in its type declarations). */
type AedesInternals = { persistence: { storeRetained(packet: { topic: string; payload: Buffer; qos: number }): Promise<void> } };

/** Bytes compared in constant time (a length mismatch is a mismatch, also compared in full). */
function sameSecret(given: Buffer, expected: Buffer): boolean {
  if (given.length !== expected.length) {
    timingSafeEqual(expected, expected);
    return false;
  }
  return timingSafeEqual(given, expected);
}

/**
 * Starts the coordinator's MQTT broker (aedes on TCP, or TLS when a cert/key is configured).
 * Every client must give the broker's username/password; retained messages (agent status, the
 * plan) survive a restart through `<stateDir>/mqtt-retained.json`.
 */
export async function startEmbeddedBroker(options: EmbeddedBrokerOptions = {}): Promise<EmbeddedBroker> {
  const { log = (line: string) => process.stderr.write(`coordinator: mqtt: ${line}\n`), ...input } = options;
  const config = parseEmbeddedBrokerConfig(input);
  const credentials = await resolveCredentials(config, log);
  const expectedUser = Buffer.from(credentials.username);
  const expectedPassword = Buffer.from(credentials.password);

  let tlsOptions: { cert: Buffer; key: Buffer; ca?: Buffer } | undefined;
  if (config.tls) {
    const read = async (field: string, path: string) => {
      try {
        return await readFile(path);
      } catch (error) {
        throw new FacefleetError(`mqtt.tls.${field}: cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
      }
    };
    tlsOptions = {
      cert: await read("cert", config.tls.cert),
      key: await read("key", config.tls.key),
      ...(config.tls.ca ? { ca: await read("ca", config.tls.ca) } : {}),
    };
  }

  const store = new RetainedStore(join(config.stateDir, RETAINED_FILE), log);
  const restored = await store.load();

  const broker = await Aedes.createBroker({
    authenticate: (_client, username, password, done) => {
      const ok =
        username !== undefined &&
        password !== undefined &&
        sameSecret(Buffer.from(username), expectedUser) &&
        sameSecret(Buffer.from(password), expectedPassword);
      if (ok) return done(null, true);
      const error = new Error("bad username or password") as AuthenticateError;
      error.returnCode = 4; // AuthErrorCode.BAD_USERNAME_OR_PASSWORD
      done(error, false);
    },
  });

  // Retained messages of the last run go back into the broker before anyone can connect.
  for (const m of restored) {
    await new Promise<void>((resolve, reject) =>
      broker.publish({ cmd: "publish", topic: m.topic, payload: m.payload, qos: m.qos, retain: true, dup: false }, (error) =>
        error ? reject(error) : resolve(),
      ),
    );
  }
  // From now on every retained publish is mirrored to the file.
  const persistence = (broker as unknown as AedesInternals).persistence;
  const storeRetained = persistence.storeRetained.bind(persistence);
  persistence.storeRetained = async (packet) => {
    await storeRetained(packet);
    store.update(packet.topic, packet.payload, packet.qos);
  };

  const server: Server = tlsOptions ? createTlsServer(tlsOptions, broker.handle) : createTcpServer(broker.handle);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(config.port, config.host, () => {
        server.off("error", reject);
        resolve();
      });
    });
  } catch (error) {
    await new Promise<void>((resolve) => broker.close(() => resolve()));
    const code = (error as NodeJS.ErrnoException).code;
    throw new FacefleetError(
      `mqtt: cannot listen on ${config.host}:${config.port}: ${code === "EADDRINUSE" ? "the port is in use" : (code ?? String(error))}`,
    );
  }
  server.on("error", (error) => log(`listener error: ${error.message}`));
  const port = (server.address() as AddressInfo).port;
  const host = config.host.includes(":") ? `[${config.host}]` : config.host;
  const url = `${tlsOptions ? "mqtts" : "mqtt"}://${host}:${port}`;
  log(`broker listening on ${url}${restored.length > 0 ? ` (${restored.length} retained messages restored)` : ""}`);

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await serverClosed;
      await store.flush();
    })();
    return closing;
  };
  return { url, username: credentials.username, password: credentials.password, close };
}
