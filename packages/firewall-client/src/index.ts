export {
  IdentityReplica,
  type ReplicaChange,
  type ReplicaOptions,
  type ReplicaState,
  type ReconnectInfo,
} from './replica';
export { IdentityView } from './identity-view';
export { decide, type Decision, type GroupPolicy } from './decision';
export { CompiledPolicy, compilePolicy, type Policy, type PolicyRule, type PolicyDecision } from './policy';
export {
  FirewallClient,
  type FirewallClientOptions,
  type CollectorTarget,
  type ClientMode,
  type ClientStatus,
  type FailMode,
  type ModeEvent,
  type SwitchEvent,
} from './client';
export {
  loadFwConfig,
  validateFwConfig,
  FW_SCHEMA,
  FW_TOP,
  EXTRA_SECTIONS,
  type FwConfig,
  type FwOverrides,
} from './config';
export type { IdentitySource } from './source';
export { validateNftConfig, NFT_SECTION, NFT_SET_SECTION, type NftConfig, type NftSetSpec } from './nft/config';
export { SetMembership } from './nft/membership';
export { nftRunner, type NftRunner, type NftResult } from './nft/runner';
export { changeScript, cleanupScript, fullSyncScript, type ElementChange } from './nft/script';
export { NftSync, type NftSyncStats, type SyncLog } from './nft/sync';
export { serveSquid } from './squid/helper';
export { validateSquidConfig, SQUID_SECTION } from './squid/config';
export { answer as squidAnswer, reply as squidReply, type SquidOptions } from './squid/protocol';
export {
  validatePushConfig,
  PUSH_SECTION,
  PUSH_TARGET,
  PUSH_KINDS,
  type PushConfig,
  type PushKind,
  type PushTargetConfig,
} from './push/config';
export { TargetDelivery, type DesiredState, type TargetStatus, type TargetState } from './push/delivery';
export { PushService, makeDriver, type PushStatus } from './push/service';
export { RssoDriver, encodeAccounting, classValues, sessionId } from './push/rsso';
export { uidMessage, panosOutcome } from './push/panos';
export type { PushDriver, PushIdentity, PushOp, Outcome } from './push/types';
