/** A real Samba AD DC for tests: `sambaAvailable()`, then `startSambaDc({ clientIps: await pickClientIps(2) })`. */
export { sambaAvailable } from './available';
export { startSambaDc, type SambaDc, type StartOptions } from './dc';
export { pickClientIps } from './net';
export type { LogonMethod } from './clients';
export { COMPUTER, GROUP_MEMBERS, USERS } from './settings';
