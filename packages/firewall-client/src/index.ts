export { IdentityReplica, type ReplicaChange, type ReplicaOptions, type ReplicaState } from './replica';
export { decide, type Decision, type GroupPolicy } from './decision';
