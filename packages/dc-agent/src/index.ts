export { DcAgent, type AgentState } from './agent';
export { resolveAgentConfig, type AgentConfig, type AgentOptions } from './config';
export { AGENT_METRICS } from './metrics';
export { AGENT_SCHEMA } from './config-schema';
