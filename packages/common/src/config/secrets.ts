import { statSync } from 'node:fs';
import type { Logger } from '../log/logger';

/**
 * Warns when a file holding a secret (a private key, a bind password) can be read by other
 * users of the machine. It is a warning, not an error: some deployments manage this with ACLs.
 */
export function warnIfReadableByOthers(files: readonly (string | undefined)[], log: Logger): void {
  if (process.platform === 'win32') return;
  for (const f of files) {
    if (!f) continue;
    try {
      const mode = statSync(f).mode & 0o777;
      if (mode & 0o077)
        log.warn('a secret file is readable by other users; run chmod 600 on it', { file: f, mode: mode.toString(8) });
    } catch {
      // Unreadable files are reported where they are used, with the field name.
    }
  }
}
