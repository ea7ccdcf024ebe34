/**
 * A small least-recently-used map with a size budget: each entry has a weight
 * (1 by default) and the oldest entries go once the total is over `maxWeight`
 * or there are more than `maxEntries`.
 */
export class Lru<K, V> {
  private readonly map = new Map<K, { value: V; weight: number }>();
  private total = 0;

  constructor(private readonly limits: { maxEntries: number; maxWeight?: number }) {}

  get size(): number {
    return this.map.size;
  }

  get(key: K): V | undefined {
    const e = this.map.get(key);
    if (!e) return undefined;
    this.map.delete(key);
    this.map.set(key, e);
    return e.value;
  }

  set(key: K, value: V, weight = 1): void {
    this.delete(key);
    this.map.set(key, { value, weight });
    this.total += weight;
    const maxWeight = this.limits.maxWeight ?? Number.POSITIVE_INFINITY;
    for (const [k, e] of this.map) {
      if (this.map.size <= 1 || (this.map.size <= this.limits.maxEntries && this.total <= maxWeight)) break;
      this.map.delete(k);
      this.total -= e.weight;
    }
  }

  delete(key: K): void {
    const e = this.map.get(key);
    if (!e) return;
    this.map.delete(key);
    this.total -= e.weight;
  }
}
