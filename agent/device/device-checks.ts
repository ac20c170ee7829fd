/**
 * What `facefleet doctor` finds on a device besides the models: its cameras (V4L2 devices), its
 * temperature sensors (sysfs thermal zones), and whether the coordinator's Kafka and MQTT broker
 * answer with the agent's config. Each check is bounded in time and never throws.
 */
import { readdir, readFile } from "node:fs/promises";
import { connect } from "node:net";
import mqtt from "mqtt";
import type { AgentConfig } from "../config.js";
import { readCa } from "../health/mqtt-link.js";

export type CameraDevice = { device: string; name: string | null };
export type TemperatureSensor = { zone: string; type: string | null; celsius: number | null };
export type Reachability = { target: string; reachable: boolean; detail: string };

async function readText(path: string): Promise<string | null> {
  try {
    return (await readFile(path, "utf8")).trim();
  } catch {
    return null;
  }
}

/** /dev/video* with the driver's name from /sys/class/video4linux (a Pi camera, a USB webcam…). */
export async function listCameras(devDir = "/dev", sysDir = "/sys/class/video4linux"): Promise<CameraDevice[]> {
  const entries = await readdir(devDir).catch(() => [] as string[]);
  const videos = entries.filter((e) => /^video\d+$/.test(e)).sort((a, b) => Number(a.slice(5)) - Number(b.slice(5)));
  return Promise.all(videos.map(async (v) => ({ device: `${devDir}/${v}`, name: await readText(`${sysDir}/${v}/name`) })));
}

/** Every /sys/class/thermal/thermal_zoneN with its type (cpu-thermal, GPU-therm…) and reading. */
export async function listTemperatureSensors(sysDir = "/sys/class/thermal"): Promise<TemperatureSensor[]> {
  const zones = (await readdir(sysDir).catch(() => [] as string[])).filter((z) => z.startsWith("thermal_zone")).sort();
  return Promise.all(
    zones.map(async (zone) => {
      const raw = await readText(`${sysDir}/${zone}/temp`);
      const milli = raw === null ? Number.NaN : Number(raw);
      return {
        zone,
        type: await readText(`${sysDir}/${zone}/type`),
        celsius: Number.isFinite(milli) ? Math.round(milli / 100) / 10 : null,
      };
    }),
  );
}

/** A TCP connection to host:port within `timeoutMs`. */
export function tcpReachable(hostPort: string, timeoutMs = 3000): Promise<Reachability> {
  const index = hostPort.lastIndexOf(":");
  const host = hostPort.slice(0, index);
  const port = Number(hostPort.slice(index + 1));
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (reachable: boolean, detail: string) => {
      socket.destroy();
      resolve({ target: hostPort, reachable, detail });
    };
    socket.setTimeout(timeoutMs, () => done(false, `no answer within ${timeoutMs} ms`));
    socket.once("connect", () => done(true, "TCP connect ok"));
    socket.once("error", (error: NodeJS.ErrnoException) => done(false, error.code ?? error.message));
  });
}

/** An MQTT CONNECT with the agent's credentials (a refusal names the reason), within `timeoutMs`. */
export function mqttReachable(settings: NonNullable<AgentConfig["mqtt"]>, timeoutMs = 5000): Promise<Reachability> {
  let ca: Buffer | undefined;
  try {
    ca = settings.caFile ? readCa(settings.caFile) : undefined;
  } catch (error) {
    return Promise.resolve({ target: settings.url, reachable: false, detail: (error as Error).message });
  }
  return new Promise((resolve) => {
    const client = mqtt.connect(settings.url, {
      username: settings.username,
      password: settings.password,
      ...(ca ? { ca } : {}),
      reconnectPeriod: 0,
      connectTimeout: timeoutMs,
      clientId: `facefleet-doctor-${process.pid}`,
    });
    let settled = false;
    const done = (reachable: boolean, detail: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      client.end(true);
      resolve({ target: settings.url, reachable, detail });
    };
    const timer = setTimeout(() => done(false, `no answer within ${timeoutMs} ms`), timeoutMs + 500);
    client.once("connect", () => done(true, "MQTT connect ok (credentials accepted)"));
    client.once("error", (error) => done(false, error.message));
    client.once("close", () => done(false, "connection closed"));
  });
}
