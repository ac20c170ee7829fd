/**
 * A binary heap of small integers (agent indices) whose keys live outside the heap and may change:
 * after changing an item's key, `update(item)` restores the order in O(log n). `before(a, b)` is true
 * when a belongs nearer the top; it must be a strict total order (break ties by index) for determinism.
 */
export class IndexedHeap {
  private readonly items: number[] = [];
  private readonly position: Int32Array;

  constructor(
    capacity: number,
    private readonly before: (a: number, b: number) => boolean,
  ) {
    this.position = new Int32Array(capacity).fill(-1);
  }

  get size(): number {
    return this.items.length;
  }

  has(item: number): boolean {
    return (this.position[item] ?? -1) >= 0;
  }

  peek(): number | undefined {
    return this.items[0];
  }

  push(item: number): void {
    if (this.has(item)) {
      this.update(item);
      return;
    }
    this.items.push(item);
    this.position[item] = this.items.length - 1;
    this.up(this.items.length - 1);
  }

  update(item: number): void {
    const at = this.position[item] ?? -1;
    if (at < 0) return;
    this.down(this.up(at));
  }

  private at(i: number): number {
    return this.items[i] as number;
  }

  private swap(i: number, j: number): void {
    const a = this.at(i);
    const b = this.at(j);
    this.items[i] = b;
    this.items[j] = a;
    this.position[b] = i;
    this.position[a] = j;
  }

  private up(i: number): number {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(this.at(i), this.at(parent))) break;
      this.swap(i, parent);
      i = parent;
    }
    return i;
  }

  private down(i: number): void {
    const n = this.items.length;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let best = i;
      if (left < n && this.before(this.at(left), this.at(best))) best = left;
      if (right < n && this.before(this.at(right), this.at(best))) best = right;
      if (best === i) return;
      this.swap(i, best);
      i = best;
    }
  }
}
