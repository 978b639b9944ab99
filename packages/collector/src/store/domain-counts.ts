/** Live entries per (canonical) domain, kept beside the table for the per-domain quota (limits.maxEntriesPerDomain). */
export class DomainCounts {
  private readonly n = new Map<string, number>();

  add(domain: string, by: 1 | -1): void {
    const n = (this.n.get(domain) ?? 0) + by;
    if (n > 0) this.n.set(domain, n);
    else this.n.delete(domain);
  }

  of(domain: string): number {
    return this.n.get(domain) ?? 0;
  }

  clear(): void {
    this.n.clear();
  }
}
