/** An agent stream that is open now. */
export interface Connection {
  agentId: string;
  peer: string;
  connectedSinceMs: number;
  /** Ends this stream (a newer one from the same agent replaces it). */
  close(reason: string): void;
}

/**
 * Which agents are connected. One stream per agent id: a reconnecting agent whose old stream has
 * not timed out yet replaces it, so two streams never interleave one agent's sequences.
 */
export class AgentRegistry {
  private readonly byId = new Map<string, Connection>();

  attach(conn: Connection): void {
    const old = this.byId.get(conn.agentId);
    if (old) old.close('replaced by a newer connection from the same agent');
    this.byId.set(conn.agentId, conn);
  }

  detach(conn: Connection): void {
    if (this.byId.get(conn.agentId) === conn) this.byId.delete(conn.agentId);
  }

  get(agentId: string): Connection | undefined {
    return this.byId.get(agentId);
  }

  get size(): number {
    return this.byId.size;
  }

  closeAll(reason: string): void {
    for (const c of [...this.byId.values()]) c.close(reason);
  }
}
