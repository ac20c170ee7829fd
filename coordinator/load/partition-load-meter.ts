/**
 * Per-partition load of the frames topic, measured from Kafka alone (no agent has to report it):
 * frames/s in = growth of each partition's end offset between samples (smoothed), lag = end offset −
 * the worker group's committed offset. Sampled with the admin API every `loadSampleMs`.
 */
import type { Admin, Kafka } from "kafkajs";

export type PartitionSample = { partition: number; fps: number; lag: number | null; end: number };

/** Weight of the newest rate in the smoothed frames/s. */
const SMOOTHING = 0.5;

export class PartitionLoadMeter {
  private admin: Admin | undefined;
  private last: { at: number; ends: Map<number, number> } | undefined;
  private readonly fps = new Map<number, number>();
  private samples: PartitionSample[] = [];
  private sampleCount = 0;

  constructor(
    private readonly kafka: Kafka,
    private readonly topic: string,
    private readonly groupId: string,
    private readonly now: () => number = Date.now,
  ) {}

  async start(): Promise<void> {
    this.admin = this.kafka.admin();
    await this.admin.connect();
  }

  async stop(): Promise<void> {
    await this.admin?.disconnect().catch(() => undefined);
    this.admin = undefined;
  }

  /** Partitions of the topic at the last sample (0 before the first). */
  get partitionCount(): number {
    return this.samples.length;
  }

  /** Whether frames/s are measured (two samples taken). */
  get measured(): boolean {
    return this.sampleCount >= 2;
  }

  current(): PartitionSample[] {
    return this.samples;
  }

  /** One sample; throws when Kafka can't be asked (the caller logs and tries again later). */
  async sample(): Promise<PartitionSample[]> {
    const admin = this.admin;
    if (!admin) throw new Error("load meter not started");
    const at = this.now();
    const offsets = await admin.fetchTopicOffsets(this.topic);
    const committed = new Map<number, number>();
    const groups = await admin.fetchOffsets({ groupId: this.groupId, topics: [this.topic] });
    for (const topic of groups) for (const p of topic.partitions) committed.set(p.partition, Number(p.offset));
    const ends = new Map<number, number>();
    const samples: PartitionSample[] = [];
    for (const o of [...offsets].sort((a, b) => a.partition - b.partition)) {
      const end = Number(o.high);
      const low = Number(o.low);
      ends.set(o.partition, end);
      const before = this.last?.ends.get(o.partition);
      if (this.last && before !== undefined && at > this.last.at) {
        const rate = Math.max(0, (end - before) / ((at - this.last.at) / 1000));
        const previous = this.fps.get(o.partition);
        this.fps.set(o.partition, previous === undefined ? rate : SMOOTHING * rate + (1 - SMOOTHING) * previous);
      }
      const done = committed.get(o.partition);
      // No commit yet (-1): the group would start at the earliest record still there.
      const lag = done === undefined ? null : Math.max(0, end - (done >= 0 ? done : low));
      samples.push({ partition: o.partition, fps: round(this.fps.get(o.partition) ?? 0), lag, end });
    }
    this.last = { at, ends };
    this.samples = samples;
    this.sampleCount++;
    return samples;
  }
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
