import type { MqttClient } from "mqtt";

/**
 * Ends an MQTT client within `timeoutMs`: a clean end (DISCONNECT once every in-flight QoS 1 publish is
 * acknowledged, so no last will), else the socket is destroyed (the broker then publishes the last will).
 * mqtt.js answers a second end() at once while a clean one waits for PUBACKs that may never come (the broker
 * went away), so a forced end() would not close anything: the stream is destroyed instead. Resolves true when
 * the end was clean.
 */
export async function endMqttClient(client: MqttClient, timeoutMs: number): Promise<boolean> {
  if (client.disconnected) return true;
  let timer: NodeJS.Timeout | undefined;
  const clean = await Promise.race([
    client.endAsync().then(
      () => true,
      () => false,
    ),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    }),
  ]);
  clearTimeout(timer);
  if (!clean) client.stream?.destroy();
  return clean;
}
