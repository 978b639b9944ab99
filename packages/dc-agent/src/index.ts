export { DcAgent, type AgentState } from './agent';
export { resolveAgentConfig, type AgentConfig, type AgentOptions } from './config';
export type { AgentEvent, RecordResult } from './events/model';
export { getFormat, formatNames } from './sources/registry';
export type { SourceFormat } from './sources/format';
export { AGENT_SCHEMA } from './config-schema';
