import { execFile } from "node:child_process";
import { readdir, readFile } from "node:fs/promises";
import { arch } from "node:os";
import si from "systeminformation";

/** What the device says about itself; anything it cannot measure is null. */
export type SystemSample = {
  device: { model: string; arch: string; jetson: boolean };
  loadPerCore: number[];
  cpuTemperatureC: number | null;
  /** Raspberry Pi throttling flags as hex (`0x50005`), or null where there is no such thing. */
  throttled: string | null;
  gpu: { loadPercent: number | null; temperatureC: number | null } | null;
  memory: { usedMiB: number; totalMiB: number };
  disk: { usedPercent: number } | null;
};

async function readText(path: string): Promise<string | undefined> {
  try {
    return (await readFile(path, "utf8")).replace(/\0/g, "").trim();
  } catch {
    return undefined;
  }
}

const round1 = (v: number) => Math.round(v * 10) / 10;

/** `throttled=0x50005` → `0x50005`. */
export function parseThrottled(text: string): string | null {
  const match = /(?:throttled=)?(0x[0-9a-fA-F]+)/.exec(text.trim());
  return match ? (match[1] as string).toLowerCase() : null;
}

/** A Jetson's /sys/devices/gpu.0/load is per mille. */
export function parseJetsonGpuLoad(text: string): number | null {
  const value = Number.parseInt(text.trim(), 10);
  return Number.isFinite(value) && value >= 0 ? round1(Math.min(100, value / 10)) : null;
}

const THROTTLED_SYSFS = [
  "/sys/devices/platform/soc/soc:firmware/get_throttled",
  "/sys/devices/platform/soc/soc:firmware/raspberrypi-hwmon/get_throttled",
];
const JETSON_GPU_LOAD = ["/sys/devices/gpu.0/load", "/sys/devices/platform/gpu.0/load", "/sys/devices/platform/bus@0/17000000.gpu/load"];

/**
 * Samples CPU load per core, memory, temperature, disk (systeminformation), Raspberry Pi throttling
 * (sysfs, else `vcgencmd get_throttled`) and a Jetson's GPU load (sysfs). What a device lacks is
 * found out once and reported as null from then on.
 */
export class SystemProbe {
  private device: SystemSample["device"] | undefined;
  private vcgencmd: boolean | undefined;
  private throttledPath: string | null | undefined;
  private gpuLoadPath: string | null | undefined;
  private gpuThermalPath: string | null | undefined;

  constructor(private readonly diskPath = "/") {}

  async sample(): Promise<SystemSample> {
    const [device, load, mem, temp, disk, throttled, gpu] = await Promise.all([
      this.describeDevice(),
      si.currentLoad().catch(() => undefined),
      si.mem().catch(() => undefined),
      si.cpuTemperature().catch(() => undefined),
      si.fsSize().catch(() => undefined),
      this.throttled(),
      this.gpu(),
    ]);
    const totalMiB = mem ? mem.total / 1048576 : 1;
    // `active` leaves out the page cache, which the kernel gives back on demand.
    const usedMiB = mem ? (mem.active > 0 ? mem.active : mem.used) / 1048576 : 0;
    const mount = disk?.filter((d) => this.diskPath.startsWith(d.mount)).sort((a, b) => b.mount.length - a.mount.length)[0];
    const cpuTemp = temp && typeof temp.main === "number" && temp.main > 0 ? round1(temp.main) : null;
    return {
      device,
      loadPerCore: (load?.cpus ?? []).map((c) => round1(Math.max(0, c.load))),
      cpuTemperatureC: cpuTemp,
      throttled,
      gpu,
      memory: { usedMiB: Math.round(usedMiB), totalMiB: Math.max(1, Math.round(totalMiB)) },
      disk: mount && Number.isFinite(mount.use) ? { usedPercent: round1(Math.min(100, Math.max(0, mount.use))) } : null,
    };
  }

  private async describeDevice(): Promise<SystemSample["device"]> {
    if (this.device) return this.device;
    // Raspberry Pi and Jetson name themselves in the device tree.
    let model = await readText("/proc/device-tree/model");
    if (!model) {
      const system = await si.system().catch(() => undefined);
      model = [system?.manufacturer, system?.model].filter((s) => s && s !== "Default string").join(" ") || "unknown";
    }
    const jetson = (await readText("/etc/nv_tegra_release")) !== undefined || /jetson|nvidia/i.test(model);
    this.device = { model, arch: arch(), jetson };
    return this.device;
  }

  private async throttled(): Promise<string | null> {
    if (this.throttledPath === undefined) {
      this.throttledPath = null;
      for (const path of THROTTLED_SYSFS)
        if ((await readText(path)) !== undefined) {
          this.throttledPath = path;
          break;
        }
    }
    if (this.throttledPath) {
      const text = await readText(this.throttledPath);
      // sysfs gives the bare number in hex without 0x
      if (text) return parseThrottled(text.startsWith("0x") ? text : `0x${text}`);
    }
    if (this.vcgencmd === false) return null;
    const out = await new Promise<string | undefined>((resolve) =>
      execFile("vcgencmd", ["get_throttled"], { timeout: 2000 }, (error, stdout) => resolve(error ? undefined : stdout)),
    );
    if (out === undefined) {
      this.vcgencmd ??= false;
      return null;
    }
    this.vcgencmd = true;
    return parseThrottled(out);
  }

  private async gpu(): Promise<SystemSample["gpu"]> {
    if (this.gpuLoadPath === undefined) {
      this.gpuLoadPath = null;
      for (const path of JETSON_GPU_LOAD)
        if ((await readText(path)) !== undefined) {
          this.gpuLoadPath = path;
          break;
        }
    }
    if (!this.gpuLoadPath) return null;
    const text = await readText(this.gpuLoadPath);
    return { loadPercent: text === undefined ? null : parseJetsonGpuLoad(text), temperatureC: await this.gpuTemperature() };
  }

  private async gpuTemperature(): Promise<number | null> {
    if (this.gpuThermalPath === undefined) {
      this.gpuThermalPath = null;
      const zones = await readdir("/sys/class/thermal").catch(() => [] as string[]);
      for (const zone of zones.filter((z) => z.startsWith("thermal_zone"))) {
        const type = await readText(`/sys/class/thermal/${zone}/type`);
        if (type && /^gpu/i.test(type)) {
          this.gpuThermalPath = `/sys/class/thermal/${zone}/temp`;
          break;
        }
      }
    }
    if (!this.gpuThermalPath) return null;
    const milli = Number.parseInt((await readText(this.gpuThermalPath)) ?? "", 10);
    return Number.isFinite(milli) ? round1(milli / 1000) : null;
  }
}
