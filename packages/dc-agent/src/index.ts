export { DcAgent, type AgentState } from './agent';
export { resolveAgentConfig, validateFilters, type AgentConfig, type AgentOptions } from './config';
export { Shaper, type FilterOptions, type ShaperStats } from './shaping/shaper';
export type { AgentEvent, RecordResult } from './events/model';
export { getFormat, formatNames } from './sources/registry';
export type { SourceFormat } from './sources/format';
export { AGENT_METRICS } from './metrics';
