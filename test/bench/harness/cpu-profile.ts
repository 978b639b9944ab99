/**
 * Preloaded into the collector (NODE_OPTIONS=--require, as FSSO_BENCH_PROFILE asks; Node refuses
 * --cpu-prof in NODE_OPTIONS): profiles the whole process and writes FSSO_BENCH_PROFILE/
 * collector-PID.cpuprofile at exit. An inspector session on the same thread answers
 * synchronously, so the write fits in an 'exit' handler.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';

const dir = process.env['FSSO_BENCH_PROFILE'];
if (dir) {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 200 });
  session.post('Profiler.start');
  process.on('exit', () => {
    session.post('Profiler.stop', (err, r) => {
      if (!err) writeFileSync(join(dir, `collector-${process.pid}.cpuprofile`), JSON.stringify(r.profile));
    });
  });
}
