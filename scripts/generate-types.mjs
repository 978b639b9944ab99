// Generates TypeScript types for the wire from proto/ (the one source of truth) with
// @grpc/proto-loader's own generator, using the same loader options as runtime loading.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const protoDir = join(root, 'proto');
const outDir = join(root, 'packages/common/src/generated');
const protos = readdirSync(join(protoDir, 'fsso/v1'))
  .filter((f) => f.endsWith('.proto'))
  .map((f) => `fsso/v1/${f}`);
const require = createRequire(join(root, 'packages/common/package.json'));
const gen = join(dirname(require.resolve('@grpc/proto-loader/package.json')), 'build/bin/proto-loader-gen-types.js');

rmSync(outDir, { recursive: true, force: true });
// Keep in step with PROTO_LOADER_OPTIONS in packages/common/src/wire/proto.ts.
const args = [
  gen,
  '--longs=Number',
  '--enums=String',
  '--defaults',
  '--oneofs',
  '--grpcLib=@grpc/grpc-js',
  `--includeDirs=${protoDir}`,
  `--outDir=${outDir}`,
  ...protos,
];
const r = spawnSync(process.execPath, args, { stdio: 'inherit' });
if (r.status !== 0) {
  console.error(`generate-types: proto-loader-gen-types failed (exit ${r.status}); see the message above`);
  process.exit(r.status ?? 1);
}

// The generator writes the same preamble into every per-proto file, and a proto without services
// (event.proto) uses neither the grpc import nor SubtypeConstructor. tsconfig's noUnusedLocals
// would fail the build on them, so drop what a file does not use; the types stay as generated.
const SUBTYPE = /^type SubtypeConstructor<[^\n]*\n[^\n]*\n\};\n\n/m;
for (const f of readdirSync(outDir).filter((n) => n.endsWith('.ts'))) {
  const file = join(outDir, f);
  let text = readFileSync(file, 'utf8');
  if (!/SubtypeConstructor</.test(text.replace(SUBTYPE, ''))) text = text.replace(SUBTYPE, '');
  if (!/\bgrpc\./.test(text)) text = text.replace(/^import type \* as grpc from '@grpc\/grpc-js';\n/m, '');
  writeFileSync(file, text);
}
