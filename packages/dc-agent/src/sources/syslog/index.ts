export { parseSyslogMessage, type SyslogMessage } from './message';
export {
  validateProfiles,
  compileProfiles,
  groupNames,
  BUILTIN_PROFILES,
  PROFILE_KINDS,
  type SyslogProfile,
  type ProfileKind,
  type CompiledProfile,
} from './profiles';
export { applyProfiles, SYSLOG_SOURCE, NO_PROFILE } from './apply';
export { syslogFormat } from './format';
export { freeradiusDetailFormat, readDetailRecord, mapDetailRecord, RADIUS_SOURCE, type DetailRecord } from './freeradius';
export { parseEventTimestamp, parseDetailHeader, type RadiusTime } from './radius-time';
export { BlankLineSplitter } from './blank-line-splitter';
export { SyslogFrameDecoder, isBinary, type FrameOutput } from './framing';
export { readAccount, epochToMs } from './fields';
export { SyslogListener, splitAddress, type SyslogListenerOptions, type SyslogListenerStats } from './listener';
