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
export { readAccount, epochToMs } from './fields';
