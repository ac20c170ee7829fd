/**
 * Alerts for unknown people: a toggle per camera (off by default), persisted in
 * `<stateDir>/unknown-alerts.json`. An `unknown_person` event of a camera whose alerts are on keeps
 * its face crop as `<stateDir>/unknown/<id>.jpg` with `<id>.json` (the alert and when it was received),
 * and emits an UnknownAlert (protocol/api.ts; the coordinator streams it as `{type: "alert"}`). Alerts
 * are kept for `retentionHours` after they were received, then purged (files and listing): at start
 * and every `purgeIntervalMs`.
 *
 * With encryptAtRest (`files` with a key, core/at-rest-files.ts) the crop and its JSON are sealed with AES-256-GCM,
 * and alerts kept before the key was set are encrypted in place at start; a file sealed with another key stops the
 * start with one line naming it (the toggles file holds no face and stays as it is).
 */
import { readdir, readFile, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { AtRestKeyError } from "../../core/at-rest-cipher.js";
import { AtRestFiles } from "../../core/at-rest-files.js";
import { writeFileAtomic } from "../../core/atomic-write.js";
import { FacefleetError } from "../../core/errors.js";
import { formatZodIssue } from "../../core/format-issue.js";
import { type UnknownAlert, unknownAlertSchema } from "../../protocol/api.js";
import { eventId, type UnknownAlertSetting, type UnknownAlertsView } from "../../protocol/api-events.js";
import type { RecognitionEvent } from "../../protocol/event.js";
import { ControlError } from "../control.js";

export const DEFAULT_RETENTION_HOURS = 72;
const DEFAULT_PURGE_INTERVAL_MS = 10 * 60_000;
const DEFAULT_MAX_LISTED = 500;

const settingsFileSchema = z.object({
  format: z.literal("facefleet-unknown-alerts"),
  cameras: z.record(z.string(), z.boolean()),
});

const alertFileSchema = z.object({ alert: unknownAlertSchema, receivedAt: z.number() });

export type UnknownAlertsOptions = {
  stateDir: string;
  /** How the crops and alert files are written and read: sealed when it has a key (default: as they are). */
  files?: AtRestFiles;
  retentionHours?: number;
  purgeIntervalMs?: number;
  /** Alerts listed by GET /api/alerts/unknown (newest first); files are kept until purged regardless. */
  maxListed?: number;
  now?: () => number;
  onAlert?: (alert: UnknownAlert) => void;
  log?: (line: string) => void;
};

type Kept = { alert: UnknownAlert; receivedAt: number };

export class UnknownAlerts {
  private readonly enabled = new Map<string, boolean>();
  private readonly seenCameras = new Set<string>();
  /** Newest last. */
  private kept: Kept[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly now: () => number;
  readonly retentionHours: number;
  private readonly settingsPath: string;
  private readonly dir: string;
  private readonly files: AtRestFiles;
  private writes: Promise<unknown> = Promise.resolve();

  private constructor(private readonly options: UnknownAlertsOptions) {
    this.now = options.now ?? Date.now;
    this.files = options.files ?? AtRestFiles.plain;
    this.retentionHours = options.retentionHours ?? DEFAULT_RETENTION_HOURS;
    this.settingsPath = join(options.stateDir, "unknown-alerts.json");
    this.dir = join(options.stateDir, "unknown");
  }

  /** Loads the toggles and the alerts kept on disk, purges what is past retention, starts the purge timer. */
  static async open(options: UnknownAlertsOptions): Promise<UnknownAlerts> {
    const alerts = new UnknownAlerts(options);
    await alerts.load();
    await alerts.purge();
    const interval = options.purgeIntervalMs ?? DEFAULT_PURGE_INTERVAL_MS;
    alerts.timer = setInterval(() => {
      alerts.purge().catch((error: Error) => options.log?.(`unknown alerts: purge failed: ${error.message}`));
    }, interval);
    alerts.timer.unref();
    return alerts;
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  isEnabled(camera: string): boolean {
    return this.enabled.get(camera) ?? false;
  }

  view(): UnknownAlertsView {
    const cameras = [...new Set([...this.enabled.keys(), ...this.seenCameras])]
      .sort()
      .map((camera): UnknownAlertSetting => ({ camera, enabled: this.isEnabled(camera) }));
    const max = this.options.maxListed ?? DEFAULT_MAX_LISTED;
    const alerts = this.kept
      .slice(-max)
      .reverse()
      .map((k) => k.alert);
    return { retentionHours: this.retentionHours, cameras, alerts };
  }

  async setEnabled(camera: string, enabled: boolean): Promise<UnknownAlertSetting> {
    this.enabled.set(camera, enabled);
    const cameras = Object.fromEntries([...this.enabled].sort(([a], [b]) => a.localeCompare(b)));
    const text = `${JSON.stringify({ format: "facefleet-unknown-alerts", cameras }, null, 1)}\n`;
    // One write at a time, in order: the file always ends with the last toggle.
    const write = this.writes.then(() => writeFileAtomic(this.settingsPath, text));
    this.writes = write.catch(() => undefined);
    await write;
    return { camera, enabled };
  }

  /** An event of the feed: returns the alert when it raised one. */
  async observe(event: RecognitionEvent): Promise<UnknownAlert | undefined> {
    this.seenCameras.add(event.camera);
    if (event.type !== "unknown_person" || !this.isEnabled(event.camera)) return undefined;
    const id = eventId(event);
    if (this.kept.some((k) => k.alert.id === id)) return undefined; // a redelivery
    const alert: UnknownAlert = {
      id,
      camera: event.camera,
      time: event.time,
      agent: event.agent,
      trackId: event.trackId,
      cropUrl: event.crop !== undefined ? `/api/alerts/unknown/${id}/crop.jpg` : null,
    };
    const kept: Kept = { alert, receivedAt: this.now() };
    this.kept.push(kept);
    if (event.crop !== undefined) await this.files.write(join(this.dir, `${id}.jpg`), Buffer.from(event.crop, "base64"));
    await this.files.write(join(this.dir, `${id}.json`), `${JSON.stringify(kept)}\n`);
    this.options.onAlert?.(alert);
    return alert;
  }

  async crop(id: string): Promise<Buffer> {
    if (!/^[0-9a-f]{16}$/.test(id)) throw new ControlError("not-found", `no unknown-person alert ${id}`);
    try {
      return (await this.files.read(join(this.dir, `${id}.jpg`))).content;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") throw new ControlError("not-found", `no crop for unknown-person alert ${id}`);
      if (error instanceof AtRestKeyError) throw error;
      this.options.log?.(`unknown alerts: crop of ${id} unreadable: ${(error as Error).message}`);
      throw new ControlError("not-found", `no readable crop for unknown-person alert ${id}`);
    }
  }

  /** Deletes the alerts of these event ids, with their crops (forgetting a person); returns how many went. */
  async remove(ids: ReadonlySet<string>): Promise<number> {
    const gone = this.kept.filter((k) => ids.has(k.alert.id));
    if (gone.length === 0) return 0;
    this.kept = this.kept.filter((k) => !ids.has(k.alert.id));
    for (const { alert } of gone) {
      await rm(join(this.dir, `${alert.id}.json`), { force: true });
      await rm(join(this.dir, `${alert.id}.jpg`), { force: true });
    }
    return gone.length;
  }

  /** Removes alerts received more than retentionHours ago (and stray files that old); returns how many alerts went. */
  async purge(): Promise<number> {
    const cutoff = this.now() - this.retentionHours * 3_600_000;
    const expired = this.kept.filter((k) => k.receivedAt < cutoff);
    this.kept = this.kept.filter((k) => k.receivedAt >= cutoff);
    const keep = new Set(this.kept.map((k) => k.alert.id));
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return expired.length;
      throw error;
    }
    for (const name of names) {
      const id = name.split(".", 1)[0] ?? "";
      if (keep.has(id)) continue;
      const path = join(this.dir, name);
      // An expired alert's files, or a file no alert accounts for (a crash mid-write) once it is that old.
      const known = expired.some((k) => k.alert.id === id);
      if (!known) {
        const info = await stat(path).catch(() => undefined);
        if (info === undefined || info.mtimeMs >= cutoff) continue;
      }
      await rm(path, { force: true });
    }
    if (expired.length > 0) this.options.log?.(`unknown alerts: ${expired.length} purged (older than ${this.retentionHours} h)`);
    return expired.length;
  }

  private async load(): Promise<void> {
    let text: string | undefined;
    try {
      text = await readFile(this.settingsPath, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
    if (text !== undefined) {
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        throw new FacefleetError(`${this.settingsPath} is not JSON`);
      }
      const parsed = settingsFileSchema.safeParse(json);
      if (!parsed.success) throw new FacefleetError(`${this.settingsPath}: ${formatZodIssue(parsed.error)}`);
      for (const [camera, enabled] of Object.entries(parsed.data.cameras)) this.enabled.set(camera, enabled);
    }
    let names: string[] = [];
    try {
      names = await readdir(this.dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
    let sealedNow = 0;
    for (const name of names.filter((n) => /^[0-9a-f]{16}\.json$/.test(n))) {
      const path = join(this.dir, name);
      try {
        const { content, inPlaintext } = await this.files.read(path);
        const parsed = alertFileSchema.safeParse(JSON.parse(content.toString("utf8")));
        if (!parsed.success) {
          this.options.log?.(`unknown alerts: ${name} skipped: ${formatZodIssue(parsed.error)}`);
          continue;
        }
        this.kept.push(parsed.data);
        if (inPlaintext) {
          await this.files.write(path, content);
          sealedNow++;
        }
      } catch (error) {
        if (error instanceof AtRestKeyError) throw error;
        this.options.log?.(`unknown alerts: ${name} skipped: ${(error as Error).message}`);
      }
    }
    for (const { alert } of this.kept) {
      if (alert.cropUrl === null) continue;
      try {
        if (await this.files.ensureSealed(join(this.dir, `${alert.id}.jpg`))) sealedNow++;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      }
    }
    this.kept.sort((a, b) => a.receivedAt - b.receivedAt);
    if (sealedNow > 0) this.options.log?.(`unknown alerts: ${sealedNow} files written before encryptAtRest was set are now encrypted`);
  }
}
