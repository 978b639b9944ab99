export {
  CallFailedError,
  CertificateInvalidError,
  ConfigError,
  DatabaseNotSqliteError,
  DatabaseOpenError,
  DatabaseTooNewError,
  errorMessage,
  FileError,
  FileUnreadableError,
  FssoError,
  type FssoErrorCode,
  InstallError,
  InternalError,
  InvalidInputError,
  KeyInvalidError,
  ListenError,
  NotFoundError,
  PeerError,
  PermissionDeniedError,
  PkiError,
  type PkiFailure,
  PrivilegeError,
  SpoolOpenError,
  StaleIdentityError,
  TlsUnavailableError,
} from './errors';
export { Backoff, type Clock, systemClock } from './time';
export { type Network, networkContains, normaliseIp, parseNetwork } from './net/ip';
export { type Account, normaliseAccount, normaliseMac, normaliseWorkstation } from './identity/account';
export {
  type AccountName,
  directoryGroupName,
  DomainNames,
  formatAccount,
  groupMatches,
  type GroupName,
  normaliseGroupName,
  parseAccountName,
  parseGroupName,
} from './identity/domains';
export {
  createLogger,
  flushLogger,
  type Logger,
  type LogLevel,
  logLevelOverride,
  type LogOptions,
  validateLogOptions,
} from './log/logger';
export {
  optionalBool,
  optionalInt,
  optionalString,
  parseAddress,
  parseDuration,
  readJsonConfig,
  rejectUnknownKeys,
} from './config/values';
export { type FssoProto, loadFsso, PROTO_DIR, PROTO_LOADER_OPTIONS, SERVICE_NAMES } from './wire/proto';
export {
  channelCredentials,
  collectorCertProblem,
  type LinkSecurity,
  normaliseThumbprint,
  PLAINTEXT_WARNING,
  SERVER_CIPHERS,
  serverCredentials,
  type TlsOptions,
  validateTlsOptions,
} from './wire/credentials';
export { addHealthAndReflection } from './wire/server-extras';
export { formatAge, formatTime, renderTable, zoneOf } from './cli/table';
export { printable } from './cli/printable';
export {
  debugRequested,
  didYouMean,
  EXIT,
  expectArgs,
  fileSystemError,
  parseCommandLine,
  type ParsedArgs,
  runCli,
  unknownCommand,
  UsageError,
} from './cli/run';
export { type CommandHelp, commonFlags, findCommandHelp, renderCommandHelp } from './cli/help';
export {
  type AdminServiceClient,
  type AdminServiceHandlers,
  type AgentHello__Output,
  type AgentInfo,
  type AgentInfo__Output,
  type AgentMessage,
  type AgentMessage__Output,
  type AgentServiceClient,
  type AgentServiceHandlers,
  type Change,
  type Change__Output,
  type CollectorMessage,
  type CollectorMessage__Output,
  type DeleteLogonResponse__Output,
  type Event,
  type Event__Output,
  EVENT_KINDS,
  type EventKind,
  type EvidenceItemMessage,
  type Explanation,
  type Explanation__Output,
  type HistoryItem,
  type HistoryItem__Output,
  type HistoryResponse,
  type HistoryResponse__Output,
  type Identity,
  type Identity__Output,
  type IdentityServiceClient,
  type IdentityServiceHandlers,
  type KnownEventKind,
  type ListAgentsResponse__Output,
  type ListLogonsRequest,
  type ListLogonsRequest__Output,
  type ListLogonsResponse,
  type ListLogonsResponse__Output,
  type PruneAgentsResponse,
  type PruneAgentsResponse__Output,
  type Stats,
  type Stats__Output,
  type SyncMessage,
  type SyncMessage__Output,
  type SyncRequest,
  type SyncRequest__Output,
  type UserResponse,
  type UserResponse__Output,
} from './wire/types';
export type {
  ProxyAuthReply,
  ProxyAuthReply__Output,
  ProxyAuthRequest,
  ProxyAuthRequest__Output,
  ProxyAuthServiceClient,
  ProxyAuthServiceHandlers,
  ProxyAuthVerdict,
  ProxyAuthVerdict__Output,
} from './wire/ntlm-types';
export { VERSION } from './version';
export {
  call,
  callError,
  type Connection,
  CONNECTION_HELP,
  CONNECTION_OPTIONS,
  connectionFailureReason,
  resolveConnection,
} from './cli/connection';
export { identityJson, identityName } from './cli/identity-format';
export { checkHealth, type HealthVerdict } from './wire/health-client';
export {
  AGENT_ID_PATTERN,
  AGENT_URI,
  certAgentId,
  type CertIdentity,
  type CertSummary,
  DOMAIN_URI,
  EKU_CLIENT,
  EKU_SERVER,
  identityFromSan,
  type Role,
  ROLE_URI,
  ROLES,
  summarise,
} from './pki/roles';
export {
  caPaths,
  type CaPaths,
  extensionConfig,
  initCa,
  issueCert,
  type Issued,
  type IssueOptions,
  planCertificate,
} from './pki/openssl';
export { warnIfReadableByOthers } from './config/secrets';
export { ensurePrivateDir, ensurePrivateFile, readTrustFile, trustFileProblem } from './config/file-modes';
export {
  DATA_DIR_ENV,
  describeDataDirSource,
  readOnlyForServices,
  resolveDataDir,
  systemdStateDirectory,
  windowsStateDirectory,
  type DataDir,
  type DataDirSource,
} from './config/state-dir';
export {
  isDnsName,
  validateAgentId,
  validateCertName,
  validateDays,
  validateDnsName,
  validateDomain,
  validateIp,
  validateOutName,
  VALIDITY,
} from './pki/names';
export { scrapedGauge, mirroredCounter, type MetricSample } from './metrics/scraped';
export {
  MetricsEndpoint,
  validateMetricsOptions,
  isLoopbackHost,
  Registry,
  Counter,
  Gauge,
  Histogram,
  type MetricsOptions,
  type MetricsConfig,
} from './metrics/endpoint';
export type { NormalisedEvent } from './wire/event-model';
export { parseCertificate, parsePrivateKey } from './pki/read-cert';
export {
  hardenedUnit,
  systemdQuote,
  describeServiceStep,
  executeServiceStep,
  type ServiceStep,
  type HardenedUnit,
} from './service/systemd';
export { keysOf, defaultOf, renderConfigDoc, type ConfigKey, type ConfigSection } from './config/schema';
export {
  ReconnectingStream,
  STREAM_CHANNEL_DEFAULTS,
  type ReconnectingStreamOptions,
  type SilenceWatchdog,
  type StreamCall,
  type StreamLoss,
  type StreamState,
} from './wire/reconnecting-stream';
