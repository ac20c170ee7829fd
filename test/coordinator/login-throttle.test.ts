import assert from "node:assert/strict";
import { test } from "node:test";
import { LoginThrottle } from "../../coordinator/api/login-throttle.js";

test("login throttle: 5 free failures, then a lock-out that doubles, per address; a success clears it", () => {
  let now = 1_000_000;
  const throttle = new LoginThrottle({ now: () => now });
  for (let i = 0; i < 5; i++) {
    assert.equal(throttle.waitMs("10.0.0.1"), 0, `attempt ${i + 1} is free`);
    throttle.failed("10.0.0.1");
  }
  assert.equal(throttle.waitMs("10.0.0.1"), 5_000, "locked after the fifth failure");
  assert.equal(throttle.waitMs("10.0.0.2"), 0, "another address is not locked");
  now += 5_000;
  throttle.failed("10.0.0.1");
  assert.equal(throttle.waitMs("10.0.0.1"), 10_000, "doubles");
  for (let i = 0; i < 20; i++) {
    now += throttle.waitMs("10.0.0.1");
    throttle.failed("10.0.0.1");
  }
  assert.equal(throttle.waitMs("10.0.0.1"), 15 * 60_000, "capped at 15 min");
  throttle.succeeded("10.0.0.1");
  assert.equal(throttle.waitMs("10.0.0.1"), 0);
});

test("login throttle: failures older than the window start over; memory is bounded", () => {
  let now = 0;
  const throttle = new LoginThrottle({ now: () => now, maxClients: 100 });
  for (let i = 0; i < 4; i++) throttle.failed("a");
  now += 61_000;
  for (let i = 0; i < 4; i++) throttle.failed("a");
  assert.equal(throttle.waitMs("a"), 0, "4 old + 4 new failures: the old ones no longer count");
  for (let i = 0; i < 6; i++) throttle.failed("b");
  for (let i = 0; i < 200; i++) throttle.failed(`flood-${i}`);
  assert.equal(throttle.waitMs("b"), 0, "the oldest records are forgotten beyond maxClients");
});
