import type { LocalKafka } from "./options.js";
import { type BrokerSecrets, secureServerProperties } from "./secure.js";

/**
 * server.properties for one process that is both KRaft controller and broker (node 1, a
 * single-voter quorum), listening on loopback, with every internal topic at replication
 * factor 1 (a single node cannot hold 3 replicas: the consumer-offsets topic would never be
 * created and groups would report "coordinator not available").
 * With `secrets` (up --secure) the listener is SASL_SSL with ACLs (kafka/local/secure.ts).
 */
export function serverProperties(k: LocalKafka, secrets?: BrokerSecrets): Record<string, string> {
  const props: Record<string, string> = {
    // KRaft, one node that is its own controller quorum.
    "process.roles": "broker,controller",
    "node.id": "1",
    "controller.quorum.voters": `1@${k.host}:${k.controllerPort}`,
    "controller.listener.names": "CONTROLLER",
    listeners: `PLAINTEXT://${k.host}:${k.port},CONTROLLER://${k.host}:${k.controllerPort}`,
    "advertised.listeners": `PLAINTEXT://${k.host}:${k.port}`,
    "inter.broker.listener.name": "PLAINTEXT",
    "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
    "log.dirs": k.logDirs,
    // Internal topics on a single node.
    "offsets.topic.replication.factor": "1",
    "offsets.topic.num.partitions": "10",
    "transaction.state.log.replication.factor": "1",
    "transaction.state.log.min.isr": "1",
    "share.coordinator.state.topic.replication.factor": "1",
    "share.coordinator.state.topic.min.isr": "1",
    "default.replication.factor": "1",
    "min.insync.replicas": "1",
    // Groups: no wait on the first join, and short session timeouts allowed (fast failover in tests).
    "group.initial.rebalance.delay.ms": "0",
    "group.min.session.timeout.ms": "1000",
    // Topics are created on purpose (with their partition count), never by a typo.
    "auto.create.topics.enable": "false",
    "num.partitions": "1",
    // A laptop broker: small segments, a week of data at most.
    "log.retention.hours": "168",
    "log.segment.bytes": String(64 * 1024 * 1024),
    "num.network.threads": "2",
    "num.io.threads": "4",
  };
  return secrets !== undefined ? { ...props, ...secureServerProperties(k, secrets) } : props;
}

/** Java properties text; values here never need escaping beyond backslashes (Windows paths). */
export function renderProperties(props: Record<string, string>, header: string): string {
  const lines = [`# ${header}`];
  for (const [key, value] of Object.entries(props)) lines.push(`${key}=${value.replaceAll("\\", "\\\\")}`);
  return `${lines.join("\n")}\n`;
}
