/**
 * Numbers the generator records at frame rate (latencies, pacing lag), kept in a typed array that
 * doubles when full: no boxed numbers and no array growth on the hot path, a few copies per rung.
 */
export class Samples {
  private data: Float64Array;
  private count = 0;

  constructor(initialCapacity = 1 << 16) {
    this.data = new Float64Array(initialCapacity);
  }

  get length(): number {
    return this.count;
  }

  push(value: number): void {
    if (this.count === this.data.length) {
      const grown = new Float64Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.count++] = value;
  }

  /** The samples so far, as a view valid until the next `push`. */
  values(): Float64Array {
    return this.data.subarray(0, this.count);
  }

  /** A copy of the samples so far; the collection starts again empty. */
  take(): Float64Array {
    const taken = this.data.slice(0, this.count);
    this.count = 0;
    return taken;
  }
}
