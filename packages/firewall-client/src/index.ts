export { IdentityReplica, type ReplicaChange, type ReplicaOptions, type ReplicaState, type ReconnectInfo } from './replica';
export { decide, type Decision, type GroupPolicy } from './decision';
