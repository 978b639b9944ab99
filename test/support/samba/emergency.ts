/**
 * Last-resort cleanup when a test process ends without calling `stop()` (an uncaught error, a
 * runner timeout, Ctrl-C): only synchronous work runs then, so each live DC registers a
 * synchronous cleanup that kills its processes by pid and deletes its namespaces by name.
 */
const pending = new Set<() => void>();
let installed = false;

export function onEmergency(cleanup: () => void): () => void {
  install();
  pending.add(cleanup);
  return () => pending.delete(cleanup);
}

function runAll(): void {
  for (const c of [...pending]) {
    pending.delete(c);
    try {
      c();
    } catch {
      // Keep going: the other DCs still need their cleanup.
    }
  }
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', runAll);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      runAll();
      // Then die of the same signal, as if we had not been listening.
      process.kill(process.pid, sig);
    });
  }
}
