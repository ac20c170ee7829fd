/**
 * The coordinator's corrections and unknown-person alerts in one piece: fed with every event of the
 * coordinator's event feed (`observe`), answering the API through CorrectionControl
 * (coordinator/api/routes-events.ts).
 */
import type { AtRestFiles } from "../../core/at-rest-files.js";
import type { GalleryUpdates } from "../../gallery/gallery-writer.js";
import type { UnknownAlert } from "../../protocol/api.js";
import type {
  CorrectionBody,
  CorrectionResult,
  EventQuery,
  EventView,
  UnknownAlertSetting,
  UnknownAlertsView,
} from "../../protocol/api-events.js";
import type { RecognitionEvent } from "../../protocol/event.js";
import { CorrectionService } from "./correction-service.js";
import { UnknownAlerts } from "./unknown-alerts.js";

/** What the event and alert routes call (errors: ControlError "not-found" → 404, "conflict" → 409). */
export interface CorrectionControl {
  events(filter: EventQuery): EventView[];
  eventCrop(id: string): Buffer;
  correct(id: string, body: CorrectionBody): Promise<CorrectionResult>;
  unknownAlerts(): UnknownAlertsView;
  setUnknownAlerts(camera: string, enabled: boolean): Promise<UnknownAlertSetting>;
  alertCrop(id: string): Promise<Buffer>;
}

export type CorrectionsOptions = {
  /** The coordinator's one gallery writer (gallery/open-gallery.ts), shared with the people service. */
  writer: GalleryUpdates;
  stateDir: string;
  /** How the unknown-person crops are written (sealed with encryptAtRest's key when there is one). */
  files?: AtRestFiles;
  /** Events kept for correction (default 500). */
  recentEvents?: number;
  /** Events (with their crop and embedding) are purged this long after their time (default 168). */
  eventRetentionHours?: number;
  eventPurgeIntervalMs?: number;
  /** Unknown-person alerts are purged after this (default 72). */
  retentionHours?: number;
  purgeIntervalMs?: number;
  now?: () => number;
  onAlert?: (alert: UnknownAlert) => void;
  log?: (line: string) => void;
};

export type Corrections = {
  control: CorrectionControl;
  service: CorrectionService;
  alerts: UnknownAlerts;
  /** Deletes the recent events past their retention now (it runs every `eventPurgeIntervalMs`); how many went. */
  purgeEvents(): number;
  /** Every event of the feed, in order. Never throws (a failed alert write is logged). */
  observe(event: RecognitionEvent): void;
  stop(): Promise<void>;
};

/**
 * An event without its embedding, for listeners that have no use for it (the API stream, MQTT
 * `facefleet/events/<camera>`): about 1.5 KB less per event; the crop stays (the dashboard shows it).
 */
export function withoutEmbedding(event: RecognitionEvent): RecognitionEvent {
  const { embedding: _embedding, ...rest } = event;
  return rest;
}

export const DEFAULT_EVENT_RETENTION_HOURS = 168;

export async function startCorrections(o: CorrectionsOptions): Promise<Corrections> {
  const log = o.log ?? (() => {});
  const service = new CorrectionService({
    writer: o.writer,
    ...(o.recentEvents !== undefined ? { capacity: o.recentEvents } : {}),
    ...(o.now ? { now: o.now } : {}),
    log,
  });
  const alerts = await UnknownAlerts.open({
    stateDir: o.stateDir,
    ...(o.files ? { files: o.files } : {}),
    ...(o.retentionHours !== undefined ? { retentionHours: o.retentionHours } : {}),
    ...(o.purgeIntervalMs !== undefined ? { purgeIntervalMs: o.purgeIntervalMs } : {}),
    ...(o.now ? { now: o.now } : {}),
    ...(o.onAlert ? { onAlert: o.onAlert } : {}),
    log,
  });
  const eventRetentionHours = o.eventRetentionHours ?? DEFAULT_EVENT_RETENTION_HOURS;
  const now = o.now ?? Date.now;
  const purgeEvents = () => {
    const gone = service.purge(now() - eventRetentionHours * 3_600_000);
    if (gone > 0) log(`corrections: ${gone} events purged (older than ${eventRetentionHours} h)`);
    return gone;
  };
  const timer = setInterval(purgeEvents, o.eventPurgeIntervalMs ?? 10 * 60_000);
  timer.unref();
  const control: CorrectionControl = {
    events: (filter) => service.list(filter),
    eventCrop: (id) => service.crop(id),
    correct: (id, body) => service.correct(id, body),
    unknownAlerts: () => alerts.view(),
    setUnknownAlerts: (camera, enabled) => alerts.setEnabled(camera, enabled),
    alertCrop: (id) => alerts.crop(id),
  };
  return {
    control,
    service,
    alerts,
    purgeEvents,
    observe(event) {
      // An event past the retention already (a replay) is not kept for corrections.
      if (event.time >= now() - eventRetentionHours * 3_600_000) service.observe(event);
      alerts.observe(event).catch((error: Error) => log(`unknown alerts: cannot keep alert of ${event.camera}: ${error.message}`));
    },
    async stop() {
      clearInterval(timer);
      alerts.stop();
    },
  };
}
