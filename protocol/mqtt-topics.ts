/** MQTT topics (docs/design.md), under the `facefleet/` prefix. */
export const MQTT_PREFIX = "facefleet";

export const mqttTopics = {
  /** retained "online" / "offline" (the agent's last will) */
  status: (agentId: string) => `${MQTT_PREFIX}/agents/${agentId}/status`,
  /** AgentHealth JSON every few seconds */
  health: (agentId: string) => `${MQTT_PREFIX}/agents/${agentId}/health`,
  /** AgentCommand JSON from the coordinator */
  command: (agentId: string) => `${MQTT_PREFIX}/agents/${agentId}/cmd`,
  /** CommandAck JSON from the agent */
  commandAck: (agentId: string) => `${MQTT_PREFIX}/agents/${agentId}/cmd/ack`,
  /** retained PartitionPlan JSON */
  plan: `${MQTT_PREFIX}/plan`,
  /** retained LiveViewDemand JSON (protocol/live-view.ts): the cameras watched live, with a lease */
  liveView: `${MQTT_PREFIX}/live-view`,
  /** RecognitionEvent JSON per camera */
  events: (camera: string) => `${MQTT_PREFIX}/events/${camera}`,
  /** wildcards the coordinator subscribes to */
  allStatus: `${MQTT_PREFIX}/agents/+/status`,
  allHealth: `${MQTT_PREFIX}/agents/+/health`,
  allAcks: `${MQTT_PREFIX}/agents/+/cmd/ack`,
} as const;

/** The agent id inside an agents/<id>/... topic, or undefined. */
export function agentIdOfTopic(topic: string): string | undefined {
  const parts = topic.split("/");
  return parts[0] === MQTT_PREFIX && parts[1] === "agents" ? parts[2] : undefined;
}
