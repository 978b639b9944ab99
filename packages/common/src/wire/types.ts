// The wire types the packages use, re-exported from the generated code under short names.
export type { Event, Event__Output } from '../generated/fsso/v1/Event';
export type { EventKind__Output as EventKind } from '../generated/fsso/v1/EventKind';
export type { AgentMessage, AgentMessage__Output } from '../generated/fsso/v1/AgentMessage';
export type { CollectorMessage, CollectorMessage__Output } from '../generated/fsso/v1/CollectorMessage';
export type { AgentHello__Output } from '../generated/fsso/v1/AgentHello';
export type { Identity, Identity__Output } from '../generated/fsso/v1/Identity';
export type { SyncMessage, SyncMessage__Output } from '../generated/fsso/v1/SyncMessage';
export type { SyncRequest, SyncRequest__Output } from '../generated/fsso/v1/SyncRequest';
export type { Change, Change__Output } from '../generated/fsso/v1/Change';
export type { AgentInfo, AgentInfo__Output } from '../generated/fsso/v1/AgentInfo';
export type { Stats, Stats__Output } from '../generated/fsso/v1/Stats';
export type { ListLogonsRequest, ListLogonsRequest__Output } from '../generated/fsso/v1/ListLogonsRequest';
export type { ListLogonsResponse, ListLogonsResponse__Output } from '../generated/fsso/v1/ListLogonsResponse';
export type { AgentServiceClient, AgentServiceHandlers } from '../generated/fsso/v1/AgentService';
export type { IdentityServiceClient, IdentityServiceHandlers } from '../generated/fsso/v1/IdentityService';
export type { UserResponse, UserResponse__Output } from '../generated/fsso/v1/UserResponse';
export type { PruneAgentsResponse, PruneAgentsResponse__Output } from '../generated/fsso/v1/PruneAgentsResponse';
export type { AdminServiceClient, AdminServiceHandlers } from '../generated/fsso/v1/AdminService';

/** Every kind of event, in proto order. */
export const EVENT_KINDS = [
  'USER_LOGON',
  'USER_ACTIVITY',
  'USER_LOGOFF',
  'HOST_SEEN',
  'HOST_ADDRESS',
  'HOST_RELEASED',
] as const;
export type KnownEventKind = (typeof EVENT_KINDS)[number];
export type { DeleteLogonResponse__Output } from '../generated/fsso/v1/DeleteLogonResponse';
export type { ListAgentsResponse__Output } from '../generated/fsso/v1/ListAgentsResponse';
export type { Explanation, Explanation__Output } from '../generated/fsso/v1/Explanation';
export type { HistoryResponse, HistoryResponse__Output } from '../generated/fsso/v1/HistoryResponse';
export type { HistoryItem, HistoryItem__Output } from '../generated/fsso/v1/HistoryItem';
export type { EvidenceItem as EvidenceItemMessage } from '../generated/fsso/v1/EvidenceItem';
