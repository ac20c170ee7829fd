/**
 * Who may publish and subscribe to what on the embedded broker (the same rules as the Mosquitto ACL file the Ansible
 * role writes: deploy/ansible/roles/mosquitto/templates/facefleet.acl.j2).
 *
 * - the coordinator (its own client, and the shared credential when `sharedCredential` is `full`): everything;
 * - an agent: publish only its own `agents/<id>/status`, `health` and `cmd/ack`; subscribe only to its own
 *   `agents/<id>/cmd`, the retained `plan` and `live-view`. No wildcards, no events, no other agent's topics.
 */
import { mqttTopics } from "../../protocol/mqtt-topics.js";

export type MqttIdentity =
  | { role: "coordinator"; account: string }
  /** `agentId` undefined: a shared-credential client whose client id names no agent: may only read the plan. */
  | { role: "agent"; agentId: string | undefined; account: string };

/** The topics an agent publishes (its own only). */
export function agentPublishTopics(agentId: string): string[] {
  return [mqttTopics.status(agentId), mqttTopics.health(agentId), mqttTopics.commandAck(agentId)];
}

/** The topic filters an agent subscribes to (exactly these: no wildcard). */
export function agentSubscribeTopics(agentId: string): string[] {
  return [mqttTopics.command(agentId), mqttTopics.plan, mqttTopics.liveView];
}

export function mayPublish(identity: MqttIdentity, topic: string): boolean {
  if (topic.startsWith("$SYS")) return false;
  if (identity.role === "coordinator") return true;
  return identity.agentId !== undefined && agentPublishTopics(identity.agentId).includes(topic);
}

export function maySubscribe(identity: MqttIdentity, filter: string): boolean {
  if (identity.role === "coordinator") return true;
  if (identity.agentId === undefined) return filter === mqttTopics.plan || filter === mqttTopics.liveView;
  return agentSubscribeTopics(identity.agentId).includes(filter);
}

/** The agent id in a client id `facefleet-agent-<id>` (what agent/health/mqtt-link.ts connects with), or undefined. */
export function agentIdOfClientId(clientId: string): string | undefined {
  const match = /^facefleet-agent-([A-Za-z0-9][A-Za-z0-9._-]{0,63})$/.exec(clientId);
  return match?.[1];
}
