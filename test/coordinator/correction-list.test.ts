/** CorrectionService.list: the recent events behind GET /api/events, newest first, filtered, at most `limit`. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { CorrectionService } from "../../coordinator/corrections/correction-service.js";
import { EVENT_SCHEMA_VERSION, type RecognitionEvent } from "../../protocol/event.js";

function event(n: number, camera: string, type: RecognitionEvent["type"], identity: string): RecognitionEvent {
  return {
    schemaVersion: EVENT_SCHEMA_VERSION,
    type,
    camera,
    trackId: `t${n}`,
    identity,
    firstSeq: n,
    lastSeq: n,
    time: 1000 + n,
    agent: "a",
  };
}

test("list: newest first, by camera and by person, at most limit; person_left is not kept; the oldest go past capacity", () => {
  const service = new CorrectionService({
    writer: { update: () => Promise.reject(new Error("this test writes nothing to the gallery")) },
    capacity: 4,
  });
  const ids = [
    service.observe(event(1, "door", "person_seen", "obama")),
    service.observe(event(2, "hall", "unknown_person", "Unknown")),
    service.observe(event(3, "door", "person_seen", "lin")),
    service.observe(event(4, "hall", "person_seen", "obama")),
  ];
  assert.equal(service.observe(event(5, "door", "person_left", "obama")), undefined);
  const [a, b, c, d] = ids;
  const listed = (filter: Parameters<CorrectionService["list"]>[0]) => service.list(filter).map((e) => e.id);
  assert.deepEqual(listed({}), [d, c, b, a]);
  assert.deepEqual(listed({ camera: "door" }), [c, a]);
  assert.deepEqual(listed({ person: "obama" }), [d, a]);
  assert.deepEqual(listed({ limit: 2 }), [d, c]);
  assert.deepEqual(listed({ camera: "hall", limit: 1 }), [d]);
  assert.deepEqual(listed({ person: "nobody" }), []);

  const e = service.observe(event(6, "door", "unknown_person", "Unknown"));
  assert.deepEqual(listed({}), [e, d, c, b], "capacity 4: the oldest is forgotten");
});
