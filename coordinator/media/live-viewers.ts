/**
 * Who watches which cameras live: one viewer per dashboard connection (the `watch` message of GET /api/stream),
 * the union of their selections, and `onChange` whenever that union changes (a viewer's new selection, a viewer
 * gone). The live-view feature tells the agents (protocol/live-view.ts).
 */
import type { CameraSelection } from "../../protocol/api.js";
import type { LiveViewer } from "../control.js";

export type WatchedCameras = { all: boolean; cameras: string[] };

export class LiveViewers {
  private readonly selections = new Map<number, CameraSelection>();
  private nextId = 1;
  private current: WatchedCameras = { all: false, cameras: [] };

  constructor(private readonly onChange: (watched: WatchedCameras) => void = () => {}) {}

  /** A new viewer, watching nothing until it says what. */
  join(): LiveViewer {
    const id = this.nextId++;
    let left = false;
    return {
      watch: (cameras) => {
        if (left) return;
        this.selections.set(id, cameras);
        this.changed();
      },
      leave: () => {
        if (left) return;
        left = true;
        if (this.selections.delete(id)) this.changed();
      },
    };
  }

  /** The union of every viewer's selection (cameras sorted). */
  watched(): WatchedCameras {
    return this.current;
  }

  /** How many viewers watch something. */
  get size(): number {
    return [...this.selections.values()].filter((s) => s === "all" || s.length > 0).length;
  }

  private changed(): void {
    let all = false;
    const cameras = new Set<string>();
    for (const selection of this.selections.values()) {
      if (selection === "all") all = true;
      else for (const camera of selection) cameras.add(camera);
    }
    const next = { all, cameras: [...cameras].sort() };
    if (next.all === this.current.all && next.cameras.join("\n") === this.current.cameras.join("\n")) return;
    this.current = next;
    this.onChange(next);
  }
}
