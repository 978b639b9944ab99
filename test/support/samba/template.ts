import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runOk } from './exec';
import { seedDomain } from './seed';
import type { DomainSettings } from './settings';

/** Bump when provisioning or seeding changes, so stale cached templates are not reused. */
const TEMPLATE_VERSION = 2;
const MARKER = 'fsso-template.json';

export interface Template {
  dir: string;
  /** The directory the template was provisioned in; smb.conf names it and must be rewritten in copies. */
  bakedDir: string;
  /** Time spent provisioning and seeding in this call; 0 when the cached template was used. */
  provisionMs: number;
  cached: boolean;
}

/**
 * A provisioned and seeded domain, built once per settings and Samba version under the temp dir
 * (`samba-tool domain provision` takes ~8 s, a copy well under one). Concurrent builders each work
 * in their own folder and the first rename wins, so a half-built template is never used.
 */
export async function ensureTemplate(settings: DomainSettings): Promise<Template> {
  const version = (await runOk('samba', ['--version'])).trim();
  const key = createHash('sha256')
    .update(JSON.stringify({ settings, version, TEMPLATE_VERSION }))
    .digest('hex')
    .slice(0, 12);
  const dir = join(tmpdir(), `fsso-samba-template-${key}`);
  const existing = readMarker(dir);
  if (existing !== null) return { dir, bakedDir: existing, provisionMs: 0, cached: true };

  const started = Date.now();
  const build = `${dir}.build-${process.pid}-${randomBytes(3).toString('hex')}`;
  try {
    await provision(build, settings);
    await seedDomain(join(build, 'etc/smb.conf'), settings.userPassword);
    writeFileSync(
      join(build, MARKER),
      JSON.stringify({
        bakedDir: build,
        settings: { ...settings, adminPassword: undefined, userPassword: undefined },
        version,
      }),
    );
    try {
      renameSync(build, dir);
    } catch (err: unknown) {
      // Another test process finished first (EEXIST/ENOTEMPTY): use theirs.
      if (readMarker(dir) === null) throw err;
      rmSync(build, { recursive: true, force: true });
    }
  } catch (err: unknown) {
    rmSync(build, { recursive: true, force: true });
    throw err;
  }
  const bakedDir = readMarker(dir);
  if (bakedDir === null) throw new Error(`template ${dir} has no ${MARKER}`);
  return { dir, bakedDir, provisionMs: Date.now() - started, cached: false };
}

function readMarker(dir: string): string | null {
  const p = join(dir, MARKER);
  if (!existsSync(p)) return null;
  const parsed: unknown = JSON.parse(readFileSync(p, 'utf8'));
  if (typeof parsed === 'object' && parsed !== null && 'bakedDir' in parsed && typeof parsed.bakedDir === 'string')
    return parsed.bakedDir;
  return null;
}

async function provision(dir: string, s: DomainSettings): Promise<void> {
  mkdirSync(join(dir, 'etc'), { recursive: true });
  mkdirSync(join(dir, 'run'), { recursive: true });
  // An empty config file: otherwise provision copies /etc/samba/smb.conf ([homes], printers...).
  const empty = join(dir, 'run/empty.conf');
  writeFileSync(empty, '');
  await runOk(
    'samba-tool',
    [
      'domain',
      'provision',
      `--configfile=${empty}`,
      `--targetdir=${dir}`,
      `--realm=${s.realm}`,
      `--domain=${s.domain}`,
      `--host-name=${s.host}`,
      // Only DNS records use the address; the fixture runs the DC with its DNS server off.
      '--host-ip=127.0.0.1',
      '--server-role=dc',
      '--use-rfc2307',
      '--dns-backend=SAMBA_INTERNAL',
      `--adminpass=${s.adminPassword}`,
    ],
    { timeoutMs: 180_000 },
  );
}
