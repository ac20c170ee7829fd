/**
 * "Forget this person": the identity, its photos, crops and embeddings deleted everywhere the coordinator keeps them.
 *
 * 1. The person's faces are collected: the event ids their gallery embeddings came from (source `event:<id>`: a
 *    named cluster, a correction), the kept faces (faces/face-store.ts) named that person by an agent or by naming
 *    a cluster, the recent events (corrections/) that named them or were corrected to them.
 * 2. The kept faces and the recent events of those ids or that name are deleted (crops and embeddings, on disk and
 *    in memory), and the unknown-person alerts of those ids (unknown faces that were later named the person).
 * 3. One write to facefleet.gallery through the coordinator's one gallery writer: a tombstone for the person (the
 *    agents' gallery readers drop them; compaction removes the older records from the topic), and the other people's
 *    records without the person's faces (a correction "not Dave, it is Ann" put Ann's face in Dave's rejects). A
 *    person created without photos is dropped from the people service.
 *
 * Not here: Kafka's own copies (facefleet.events keeps the events, with their crops, for the topic's retention.ms;
 * the gallery's older records until the log cleaner compacts them) and the agents' in-memory tracks of the moment.
 */
import type { GalleryReader } from "../../gallery/gallery-reader.js";
import type { GalleryUpdates, GalleryWrite } from "../../gallery/gallery-writer.js";
import type { ForgetResult } from "../../protocol/api-people.js";
import { ControlError } from "../control.js";
import type { CorrectionService } from "../corrections/correction-service.js";
import type { UnknownAlerts } from "../corrections/unknown-alerts.js";
import type { FaceStore } from "../faces/face-store.js";

export type ForgetPersonOptions = {
  reader: GalleryReader;
  writer: GalleryUpdates;
  faces: FaceStore;
  events: CorrectionService;
  alerts: UnknownAlerts;
  /** Drops a person created without photos (the people service); whether there was one. */
  dropPending: (name: string) => boolean;
  log?: (line: string) => void;
};

const EVENT_SOURCE = /^event:([0-9a-f]{16})$/;

export class PersonForgetter {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly o: ForgetPersonOptions) {}

  forget(name: string): Promise<ForgetResult> {
    const run = this.queue.then(() => this.apply(name));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async apply(name: string): Promise<ForgetResult> {
    const held = this.o.reader.get(name);
    const ids = new Set<string>();
    for (const entry of held?.embeddings ?? []) {
      const id = EVENT_SOURCE.exec(entry.source)?.[1];
      if (id) ids.add(id);
    }
    const faces = await this.o.faces.remove((face) => face.identity === name || face.namedAs === name || ids.has(face.id));
    for (const face of faces) ids.add(face.id);
    const events = this.o.events.remove((event, correction, id) => event.identity === name || correction?.identity === name || ids.has(id));
    for (const id of events) ids.add(id);
    const alerts = await this.o.alerts.remove(ids);
    const pending = this.o.dropPending(name);
    if (!held && !pending && faces.length === 0 && events.length === 0 && alerts === 0)
      throw new ControlError("not-found", `no person "${name}" and no face named so`);

    // Other people's records that hold one of the person's faces (as a reject, or an embedding a correction left).
    const sources = new Set([...ids].map((id) => `event:${id}`));
    const others = this.o.reader
      .list()
      .filter((i) => i.name !== name && [...i.embeddings, ...(i.rejects ?? [])].some((e) => sources.has(e.source)))
      .map((i) => i.name);
    let rejects = 0;
    const { version } = await this.o.writer.update((gallery) => {
      rejects = 0;
      const writes: GalleryWrite[] = [];
      if (gallery.get(name)) writes.push({ kind: "delete", name });
      for (const other of others) {
        const current = gallery.get(other);
        if (!current) continue;
        const embeddings = current.embeddings.filter((e) => !sources.has(e.source));
        const kept = (current.rejects ?? []).filter((e) => !sources.has(e.source));
        const removed = current.embeddings.length - embeddings.length + (current.rejects?.length ?? 0) - kept.length;
        if (removed === 0) continue;
        rejects += removed;
        if (embeddings.length === 0) {
          // Nothing of their own left: the record cannot stand without an embedding.
          writes.push({ kind: "delete", name: other });
          continue;
        }
        writes.push({
          kind: "put",
          identity: { name: current.name, embeddings, ...(kept.length > 0 ? { rejects: kept } : {}) },
          recognizer: current.recognizer,
        });
      }
      return writes;
    });
    const result: ForgetResult = {
      name,
      tombstoned: held !== undefined,
      embeddings: held?.embeddings.length ?? 0,
      rejects,
      faces: faces.length,
      events: events.length,
      alerts,
      galleryVersion: version,
    };
    this.o.log?.(
      `privacy: forgot "${name}": ${result.tombstoned ? `tombstone (${result.embeddings} embeddings)` : "not on the gallery"}, ${rejects} faces off other people, ${result.faces} kept faces, ${result.events} events, ${alerts} alerts; gallery version ${version}`,
    );
    return result;
  }
}
