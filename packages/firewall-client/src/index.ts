export { IdentityReplica, type ReplicaChange, type ReplicaOptions, type ReplicaState, type ReconnectInfo } from './replica';
export { decide, type Decision, type GroupPolicy } from './decision';
export { CompiledPolicy, compilePolicy, type Policy, type PolicyRule, type PolicyDecision } from './policy';
export {
  FirewallClient, type FirewallClientOptions, type CollectorTarget, type ClientMode, type ClientStatus, type FailMode, type ModeEvent, type SwitchEvent,
} from './client';
export { loadFwConfig, validateFwConfig, FW_SCHEMA, FW_TOP, EXTRA_SECTIONS, type FwConfig, type FwOverrides } from './config';
