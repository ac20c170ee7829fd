import { readFile } from "node:fs/promises";
import { type AddressInfo, createServer as createTcpServer, type Server } from "node:net";
import { join } from "node:path";
import { createServer as createTlsServer } from "node:tls";
import { Aedes, type AuthenticateError, type Client } from "aedes";
import { FacefleetError } from "../../core/errors.js";
import { newSecret, sameBytes } from "../../core/secret-hash.js";
import { AgentCredentialFile, agentCredentialsFile, COORDINATOR_MQTT_USERNAME } from "./agent-credentials.js";
import { type EmbeddedBrokerConfigInput, parseEmbeddedBrokerConfig } from "./broker-config.js";
import { resolveCredentials } from "./credentials.js";
import { RetainedStore } from "./retained-store.js";
import { agentIdOfClientId, type MqttIdentity, mayPublish, maySubscribe } from "./topic-acl.js";

export const RETAINED_FILE = "mqtt-retained.json";

export type EmbeddedBrokerOptions = EmbeddedBrokerConfigInput & {
  /** Where the coordinator's lines go (the generated password is printed here once). */
  log?: (line: string) => void;
};

export type EmbeddedBroker = {
  /** `mqtt://host:port`, or `mqtts://` with TLS; the actual port when 0 was asked for. */
  url: string;
  /** The shared account (`mqtt.embedded.username`/`password`, or the generated one). */
  username: string;
  password: string;
  /** The coordinator's own account: full access, a new random password each start, never written anywhere. */
  coordinator: { username: string; password: string };
  /** Closes client connections and the listener, then waits for the retained messages to be on disk. */
  close(): Promise<void>;
};

/** The internals of aedes this module relies on (not in its type declarations). */
type AedesInternals = {
  clients: Record<string, Client>;
  persistence: { storeRetained(packet: { topic: string; payload: Buffer; qos: number }): Promise<void> };
};

/** How often open connections of revoked agent accounts are looked for (and closed). */
const REVOCATION_CHECK_MS = 2000;

function badLogin(): AuthenticateError {
  const error = new Error("bad username or password") as AuthenticateError;
  error.returnCode = 4; // AuthErrorCode.BAD_USERNAME_OR_PASSWORD
  return error;
}

/**
 * Starts the coordinator's MQTT broker (aedes on TCP, or TLS when a cert/key is configured).
 * Every client logs in: the coordinator's own account (full access), an agent's own account
 * (`<stateDir>/mqtt-agents.json`, `agent-credentials.ts`) or the shared one, as `sharedCredential` allows;
 * what each may publish and subscribe to is `topic-acl.ts`. Retained messages (agent status, the
 * plan) survive a restart through `<stateDir>/mqtt-retained.json`.
 */
export async function startEmbeddedBroker(options: EmbeddedBrokerOptions = {}): Promise<EmbeddedBroker> {
  const { log = (line: string) => process.stderr.write(`coordinator: mqtt: ${line}\n`), ...input } = options;
  const config = parseEmbeddedBrokerConfig(input);
  const credentials = await resolveCredentials(config, log);
  const sharedUser = Buffer.from(credentials.username);
  const sharedPassword = Buffer.from(credentials.password);
  const coordinator = { username: COORDINATOR_MQTT_USERNAME, password: newSecret(24) };
  const agentAccounts = new AgentCredentialFile(agentCredentialsFile(config.stateDir), log);
  const identities = new WeakMap<Client, MqttIdentity>();
  const deniedOnce = new Set<string>();
  const deny = (identity: MqttIdentity | undefined, what: string) => {
    const key = `${identity?.account}:${what}`;
    if (deniedOnce.has(key) || deniedOnce.size > 1000) return;
    deniedOnce.add(key);
    log(`denied: ${identity?.account ?? "unknown client"} may not ${what}`);
  };

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

  /** Who a CONNECT is, or undefined for a bad login. */
  const identify = async (clientId: string, username: string, password: string): Promise<MqttIdentity | undefined> => {
    const user = Buffer.from(username);
    const pass = Buffer.from(password);
    if (username === COORDINATOR_MQTT_USERNAME)
      return sameBytes(pass, Buffer.from(coordinator.password)) ? { role: "coordinator", account: username } : undefined;
    if (config.sharedCredential !== "off" && sameBytes(user, sharedUser) && sameBytes(pass, sharedPassword)) {
      if (config.sharedCredential === "full") return { role: "coordinator", account: username };
      return { role: "agent", agentId: agentIdOfClientId(clientId), account: `${username} (shared)` };
    }
    if (await agentAccounts.verify(username, password)) return { role: "agent", agentId: username, account: username };
    return undefined;
  };

  const broker = await Aedes.createBroker({
    authenticate: (client, username, password, done) => {
      if (username === undefined || password === undefined) return done(badLogin(), false);
      identify(client.id, username, password.toString()).then(
        (identity) => {
          if (!identity) {
            log(`refused a login as '${username.slice(0, 64)}' (bad username or password)`);
            return done(badLogin(), false);
          }
          identities.set(client, identity);
          done(null, true);
        },
        (error: Error) => {
          log(`login check failed: ${error.message}`);
          done(badLogin(), false);
        },
      );
    },
    authorizePublish: (client, packet, done) => {
      // A will is checked like the client's own publishes (aedes calls this with the client). client null: a will
      // kept in persistence from a client of an earlier run, which the in-memory persistence never has.
      const identity = client ? identities.get(client) : ({ role: "coordinator", account: "broker" } as const);
      if (identity && mayPublish(identity, packet.topic)) return done(null);
      deny(identity, `publish to ${packet.topic}`);
      done(new Error(`not allowed to publish to ${packet.topic}`));
    },
    authorizeSubscribe: (client, subscription, done) => {
      const identity = identities.get(client);
      if (identity && maySubscribe(identity, subscription.topic)) return done(null, subscription);
      deny(identity, `subscribe to ${subscription.topic}`);
      done(null, null); // SUBACK 128 for this filter; the connection stays
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

  // A revoked agent account loses its open connection within REVOCATION_CHECK_MS.
  const revocations = setInterval(() => {
    void agentAccounts.refresh().then((accounts) => {
      for (const client of Object.values((broker as unknown as AedesInternals).clients)) {
        const identity = identities.get(client);
        if (identity?.role === "agent" && identity.account === identity.agentId && !(identity.agentId in accounts)) {
          log(`closing the connection of ${identity.account}: its credential was revoked`);
          client.close();
        }
      }
    });
  }, REVOCATION_CHECK_MS);
  revocations.unref();

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      clearInterval(revocations);
      const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await serverClosed;
      await store.flush();
    })();
    return closing;
  };
  return { url, username: credentials.username, password: credentials.password, coordinator, close };
}
