import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { ProtoGrpcType as AgentProto } from '../generated/agent';
import type { ProtoGrpcType as IdentityProto } from '../generated/identity';
import type { ProtoGrpcType as AdminProto } from '../generated/admin';
import type { ProtoGrpcType as NtlmProto } from '../generated/ntlm';

/** Where the `.proto` sources live: the repository's `proto/` folder is the one source of truth. */
export const PROTO_DIR = join(__dirname, '../../../../../proto');

/**
 * The one place that says how protos are loaded. `scripts/generate-types.mjs` passes the same
 * options to the type generator, so the generated `__Output` types match what arrives at runtime.
 */
export const PROTO_LOADER_OPTIONS: protoLoader.Options = {
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [PROTO_DIR],
};

const PROTO_FILES = [
  'fsso/v1/event.proto',
  'fsso/v1/agent.proto',
  'fsso/v1/identity.proto',
  'fsso/v1/admin.proto',
  'fsso/v1/ntlm.proto',
];

export type FssoProto = AgentProto & IdentityProto & AdminProto & NtlmProto;

let cached: { packageDefinition: protoLoader.PackageDefinition; proto: FssoProto } | undefined;

/** Loads every FSSO service once per process. */
export function loadFsso(): { packageDefinition: protoLoader.PackageDefinition; proto: FssoProto } {
  if (!cached) {
    const packageDefinition = protoLoader.loadSync(PROTO_FILES, PROTO_LOADER_OPTIONS);
    const proto = grpc.loadPackageDefinition(packageDefinition) as unknown as FssoProto;
    cached = { packageDefinition, proto };
  }
  return cached;
}

/** Fully-qualified service names, as health checks and reflection report them. */
export const SERVICE_NAMES = {
  agent: 'fsso.v1.AgentService',
  identity: 'fsso.v1.IdentityService',
  admin: 'fsso.v1.AdminService',
  proxyAuth: 'fsso.v1.ProxyAuthService',
} as const;
