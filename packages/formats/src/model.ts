import type { NormalisedEvent } from '@fsso/common';

/**
 * One normalised piece of logon evidence, before the spool gives it a sequence number. The shape
 * is shared with the collector (`NormalisedEvent` in @fsso/common); `fsso-dc-agent parse` prints it.
 */
export type AgentEvent = NormalisedEvent;

/** What one record of a source turned into: events, or the reason it was skipped. */
export interface RecordResult {
  events: AgentEvent[];
  /** Why the record produced no event ('event 4688 is not logon evidence', 'no client address'). */
  skipped?: string;
}
