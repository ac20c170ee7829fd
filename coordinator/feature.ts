/**
 * One feature of the coordinator (fleet liveness, planning, events, corrections, the API, …): started in the
 * order coordinator.ts lists them, stopped in the reverse order. Features talk over the bus; what one needs of
 * another's state it is given when it is constructed.
 */
import type { AtRestFiles } from "../core/at-rest-files.js";
import type { ApiRoute } from "./api/route.js";
import type { CoordinatorBus } from "./bus.js";
import type { CoordinatorConfig } from "./config.js";

export type FeatureContext = {
  config: CoordinatorConfig;
  bus: CoordinatorBus;
  log: (line: string) => void;
  /** How features write faces and crops to disk: sealed with the key of `encryptAtRest` when it is set. */
  atRest: AtRestFiles;
};

export interface Feature {
  readonly name: string;
  start(context: FeatureContext): Promise<void>;
  stop(): Promise<void>;
  /** HTTP routes this feature serves (registered and documented by the API feature). */
  routes?(): ApiRoute[];
}
