// The formats' public surface, for the agent (readers, config, `parse`) and the collector's `simulate`.
export type { AgentEvent, RecordResult } from './model';
export { LineSplitter, type ParseOptions, type RecordSplitter, type SourceFormat } from './format';
export { getFormat, formatNames, describeFormats } from './registry';
export {
  HostAddresses,
  SELF_TRAFFIC_HOST,
  SELF_TRAFFIC_LOCAL,
  countSelfTraffic,
  selfTrafficReason,
  type OwnAddresses,
  type SelfTrafficMode,
  type SelfTrafficOptions,
} from './self-traffic';
export { Shaper, type FilterOptions, type ShaperStats } from './shaping/shaper';
export { validateFilters } from './shaping/filters';
export {
  BUILTIN_PROFILES,
  applyProfiles,
  compileProfiles,
  parseSyslogMessage,
  validateProfiles,
  type CompiledProfile,
  type SyslogMessage,
  type SyslogProfile,
} from './syslog';
export { BlankLineSplitter } from './freeradius';
export { windowsXmlFormat } from './windows';
