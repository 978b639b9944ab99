/**
 * One Windows Security event as every input form (XML, Winlogbeat JSON, NXLog, Azure rows) is
 * reduced to before mapping, so the mapping from event ids to evidence exists exactly once.
 */
export interface WindowsRecord {
  /** The event id (4624, 4768, ...); the `Qualifiers` attribute of the XML element is dropped. */
  eventId: number;
  /** The computer that logged it, as written (`DC01.corp.example.test`). */
  computer: string;
  /** When it happened, Unix epoch milliseconds. */
  timeMs: number;
  /** The EventData fields by name (`TargetUserName`, `IpAddress`, ...), values as written. */
  data: Record<string, string>;
}
