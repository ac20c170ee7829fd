/**
 * Home Assistant MQTT discovery: one "last person seen" sensor per camera, announced (retained) the
 * first time the coordinator sees an event of that camera. State = the identity of the last
 * person_seen / watchlist_hit / unknown_person event ("Unknown" for strangers), with the event as
 * attributes. https://www.home-assistant.io/integrations/mqtt/#mqtt-discovery
 */
import type { RecognitionEvent } from "../../protocol/event.js";
import { MQTT_PREFIX } from "../../protocol/mqtt-topics.js";

export type MqttPublish = (topic: string, payload: string, retain: boolean) => Promise<void>;

/** Camera ids may hold characters discovery object ids may not. */
export function objectIdOf(camera: string): string {
  return camera.replace(/[^a-zA-Z0-9_-]/g, "_");
}

export const lastPersonTopic = (camera: string) => `${MQTT_PREFIX}/cameras/${objectIdOf(camera)}/last_person`;

export function discoveryConfig(camera: string, discoveryPrefix: string): { topic: string; payload: Record<string, unknown> } {
  const id = objectIdOf(camera);
  const state = lastPersonTopic(camera);
  return {
    topic: `${discoveryPrefix}/sensor/facefleet_${id}/last_person/config`,
    payload: {
      name: "Last person seen",
      unique_id: `facefleet_${id}_last_person`,
      object_id: `facefleet_${id}_last_person`,
      state_topic: state,
      value_template: "{{ value_json.identity }}",
      json_attributes_topic: state,
      icon: "mdi:face-recognition",
      device: { identifiers: [`facefleet_camera_${id}`], name: `facefleet camera ${camera}`, manufacturer: "facefleet", model: "camera" },
    },
  };
}

export class LastPersonSensors {
  private readonly announced = new Set<string>();

  constructor(
    private readonly publish: MqttPublish,
    private readonly discoveryPrefix: string,
    private readonly log: (line: string) => void,
  ) {}

  async onEvent(event: RecognitionEvent): Promise<void> {
    if (event.type === "person_left") return;
    try {
      if (!this.announced.has(event.camera)) {
        const config = discoveryConfig(event.camera, this.discoveryPrefix);
        await this.publish(config.topic, JSON.stringify(config.payload), true);
        this.announced.add(event.camera);
      }
      const identity = event.type === "unknown_person" ? "Unknown" : event.identity;
      await this.publish(
        lastPersonTopic(event.camera),
        JSON.stringify({
          identity,
          type: event.type,
          time: new Date(event.time).toISOString(),
          agent: event.agent,
          trackId: event.trackId,
        }),
        true,
      );
    } catch (error) {
      this.log(`home assistant: cannot publish for camera ${event.camera}: ${(error as Error).message}`);
    }
  }
}
