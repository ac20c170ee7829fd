/**
 * Annotate on demand, the pure parts: the per-camera rate cap (annotation-rate.ts), what a camera's demand is
 * made of (annotation-demand.ts: the live view's lease, annotateAlways, always / never), the config fields, the
 * MQTT message (protocol/live-view.ts) and the coordinator's union of viewers (coordinator/media/live-viewers.ts).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseAgentConfig } from "../../agent/config.js";
import { AnnotationDemand } from "../../agent/worker/annotation-demand.js";
import { AnnotationRate } from "../../agent/worker/annotation-rate.js";
import { LiveViewers, type WatchedCameras } from "../../coordinator/media/live-viewers.js";
import { streamClientMessageSchema } from "../../protocol/api.js";
import { LIVE_VIEW_SCHEMA_VERSION, type LiveViewDemand, parseLiveViewDemand } from "../../protocol/live-view.js";

const demandOf = (fields: Partial<LiveViewDemand>): LiveViewDemand => ({
  schemaVersion: LIVE_VIEW_SCHEMA_VERSION,
  all: false,
  cameras: [],
  leaseMs: 15_000,
  issuedAt: 1_800_000_000_000,
  ...fields,
});

const workerOf = (worker: Record<string, unknown>) => parseAgentConfig({ agentId: "a", worker }).worker;

test("rate cap: at most maxFps per second of capture time per camera, on a jittery 10 fps camera; the grid holds", () => {
  const rate = new AnnotationRate(5);
  const taken: number[] = [];
  let t = 1_000_000;
  for (let i = 0; i < 600; i++) {
    t += 100 + ((i * 37) % 21) - 10; // 90..110 ms apart
    if (rate.take("cam", t)) taken.push(t);
  }
  const span = (taken.at(-1) as number) - (taken[0] as number);
  // The long-run rate is the cap (not less: an early frame does not push the grid back).
  assert.ok(taken.length >= Math.floor((span / 1000) * 5) - 1, `${taken.length} annotated in ${span} ms`);
  // Any window of W ms holds at most W × 5 / 1000 + 2.
  for (let i = 0; i < taken.length; i++)
    for (let j = i; j < taken.length; j++) {
      const w = (taken[j] as number) - (taken[i] as number);
      assert.ok(j - i + 1 <= (w * 5) / 1000 + 2, `${j - i + 1} annotated within ${w} ms`);
    }
  // Cameras are capped each on its own; a replay (capture time backwards) starts afresh; 0 = no cap.
  assert.equal(rate.take("other", t), true);
  assert.equal(rate.take("cam", t + 1), false);
  assert.equal(rate.take("cam", t - 60_000), true);
  const free = new AnnotationRate(0);
  assert.ok([1, 1, 1].every((time) => free.take("cam", time)));
});

test("demand: on-demand annotates a watched camera until the lease runs out; its first frame at once", () => {
  let now = 1_000;
  const demand = new AnnotationDemand(workerOf({}), () => now);
  assert.equal(demand.take("door", 10), false, "nothing watched: no annotation");
  demand.watch(demandOf({ cameras: ["door"], leaseMs: 3000 }));
  assert.equal(demand.take("door", 20), true, "the first frame after the subscription");
  assert.equal(demand.take("door", 30), false, "the rate cap (5 fps)");
  assert.equal(demand.take("yard", 30), false, "a camera nobody watches");
  assert.equal(demand.take("door", 230), true);
  now += 2999;
  assert.equal(demand.wanted("door"), true);
  now += 1;
  assert.equal(demand.take("door", 10_000), false, "the lease ran out");
  assert.match(demand.describe(), /no live demand/);
  // A refresh renews the lease; `all` watches every camera; an empty demand stops at once.
  demand.watch(demandOf({ all: true, leaseMs: 3000 }));
  assert.equal(demand.take("yard", 40_000), true);
  assert.equal(demand.describe(), "all cameras");
  demand.watch(demandOf({}));
  assert.equal(demand.take("yard", 50_000), false);
  // Watched again right after: the first frame is annotated although the cap's slot would not be due.
  demand.watch(demandOf({ cameras: ["yard"] }));
  assert.equal(demand.take("yard", 50_001), true);
});

test("demand: annotateAlways, always and never ignore the live view; the config fields and their errors", () => {
  const listed = new AnnotationDemand(workerOf({ annotateAlways: ["gate"], annotateMaxFps: 0 }), () => 0);
  assert.equal(listed.take("gate", 1), true);
  assert.equal(listed.take("gate", 1), true, "annotateMaxFps 0: every frame");
  assert.equal(listed.take("door", 1), false);
  const always = new AnnotationDemand(workerOf({ annotated: "always" }), () => 0);
  assert.equal(always.take("door", 1), true);
  assert.equal(always.onDemand, false);
  const never = new AnnotationDemand(workerOf({ annotated: "never" }), () => 0);
  never.watch(demandOf({ all: true }), 0);
  assert.equal(never.take("door", 1), false);
  assert.equal(never.enabled, false);

  const defaults = workerOf({});
  assert.deepEqual([defaults.annotated, defaults.annotateAlways, defaults.annotateMaxFps], ["on-demand", [], 5]);
  // The older boolean still reads: true = always, false = never.
  assert.equal(workerOf({ annotated: true }).annotated, "always");
  assert.equal(workerOf({ annotated: false }).annotated, "never");
  const error = (worker: Record<string, unknown>) => {
    try {
      workerOf(worker);
    } catch (e) {
      return (e as Error).message;
    }
    return "no error";
  };
  assert.match(error({ annotated: "sometimes" }), /^agent config: worker\.annotated: /);
  assert.match(error({ annotateMaxFps: -1 }), /^agent config: worker\.annotateMaxFps: /);
  assert.match(error({ annotateAlways: [""] }), /^agent config: worker\.annotateAlways\.0: /);
});

test("the live-view message and the stream's watch message are validated, errors name the field", () => {
  const good = demandOf({ cameras: ["cam-0"] });
  assert.deepEqual(parseLiveViewDemand(JSON.stringify(good)), good);
  const reason = (payload: string) => {
    try {
      parseLiveViewDemand(payload);
    } catch (e) {
      return (e as Error).message;
    }
    return "no error";
  };
  assert.equal(reason("{"), "(root): not JSON");
  assert.match(reason(JSON.stringify({ ...good, leaseMs: 10 })), /^leaseMs: /);
  assert.match(reason(JSON.stringify({ ...good, cameras: "cam-0" })), /^cameras: /);
  assert.match(reason(JSON.stringify({ ...good, schemaVersion: 2 })), /^schemaVersion: /);
  assert.equal(streamClientMessageSchema.safeParse({ type: "watch", cameras: "all" }).success, true);
  assert.equal(streamClientMessageSchema.safeParse({ type: "watch", cameras: ["a", "b"] }).success, true);
  assert.equal(streamClientMessageSchema.safeParse({ type: "watch", cameras: "some" }).success, false);
});

test("coordinator: the watched cameras are the union of the viewers' selections, told on change only", () => {
  const changes: WatchedCameras[] = [];
  const viewers = new LiveViewers((watched) => changes.push(watched));
  const a = viewers.join();
  const b = viewers.join();
  a.watch(["cam-1"]);
  b.watch(["cam-0", "cam-1"]);
  b.watch(["cam-1", "cam-0"]); // the same union: not told again
  assert.deepEqual(viewers.watched(), { all: false, cameras: ["cam-0", "cam-1"] });
  a.watch("all");
  assert.equal(viewers.size, 2);
  a.leave();
  a.leave();
  b.leave();
  assert.deepEqual(changes, [
    { all: false, cameras: ["cam-1"] },
    { all: false, cameras: ["cam-0", "cam-1"] },
    { all: true, cameras: ["cam-0", "cam-1"] },
    { all: false, cameras: ["cam-0", "cam-1"] },
    { all: false, cameras: [] },
  ]);
  b.watch(["cam-9"]); // after leaving: ignored
  assert.deepEqual(viewers.watched(), { all: false, cameras: [] });
});
