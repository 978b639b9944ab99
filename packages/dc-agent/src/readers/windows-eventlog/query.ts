/** Security events the agent asks Windows for: mapped ones, and failures it counts. */
export const SECURITY_EVENT_IDS = [
  4624, 4625, 4634, 4647, 4768, 4769, 4770, 4771, 4776, 4778, 4779, 4800, 4801,
] as const;

export interface QueryOptions {
  /** Records per wevtutil call. */
  batch: number;
  /** With no bookmark yet: how far back to read (ms). */
  backfillMs: number;
  eventIds: readonly number[];
}

/**
 * The `wevtutil qe` arguments for the next batch. With a bookmark (the last EventRecordID read)
 * it asks for records after it, oldest first, so a restart neither loses nor repeats events; on
 * the first run it reads the last `backfillMs` so users already logged on are known at once.
 * `/e:Events` wraps the output in one root element, which the XML splitter skips.
 */
export function wevtutilArgs(afterRecordId: number | undefined, o: QueryOptions): string[] {
  const ids = o.eventIds.map((id) => `EventID=${id}`).join(' or ');
  const where =
    afterRecordId === undefined
      ? `TimeCreated[timediff(@SystemTime) <= ${Math.floor(o.backfillMs)}] and (${ids})`
      : `(EventRecordID > ${afterRecordId}) and (${ids})`;
  return ['qe', 'Security', `/q:*[System[${where}]]`, '/f:xml', `/c:${o.batch}`, '/rd:false', '/e:Events'];
}

/** EventRecordID of one `<Event>` record, or undefined. */
export function recordIdOf(xml: string): number | undefined {
  const m = /<EventRecordID>\s*(\d+)\s*<\/EventRecordID>/.exec(xml);
  return m ? Number(m[1]) : undefined;
}
