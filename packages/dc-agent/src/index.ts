export { DcAgent, type AgentState } from './agent';
export { resolveAgentConfig, type AgentConfig, type AgentOptions } from './config';
