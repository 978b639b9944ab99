import { test } from 'node:test';
import assert from 'node:assert/strict';
import { accountEvent, skip, type AccountEvidence } from '../src/event';

const base: AccountEvidence = {
  kind: 'USER_LOGON',
  account: { user: 'alice', domain: '', machine: false },
  ip: '10.0.0.5',
  workstation: 'PC07',
  eventTimeMs: Date.UTC(2026, 0, 5, 9),
  source: 'test',
  sourceEventId: '1',
  reporter: 'dc1',
};

test('event builder: a person keeps kind and workstation; no domain takes the default domain, upper-cased', () => {
  assert.deepEqual(accountEvent(base, { defaultDomain: ' corp ' }), {
    events: [
      {
        kind: 'USER_LOGON',
        user: 'alice',
        domain: 'CORP',
        ip: '10.0.0.5',
        workstation: 'PC07',
        mac: '',
        eventTimeMs: base.eventTimeMs,
        source: 'test',
        sourceEventId: '1',
        logonType: 0,
        reporter: 'dc1',
      },
    ],
  });
  assert.equal(
    accountEvent({ ...base, account: { ...base.account, domain: 'SALES' } }, { defaultDomain: 'CORP' }).events[0]
      ?.domain,
    'SALES',
  );
});

test('event builder: a computer account is HOST_SEEN at its own name; a host kind stays; its logoff is skipped with the given reason', () => {
  const pc = { ...base, account: { user: 'pc01', domain: 'CORP', machine: true } };
  assert.deepEqual(
    accountEvent(pc, {}).events.map((e) => [e.kind, e.workstation]),
    [['HOST_SEEN', 'PC01']],
  );
  assert.deepEqual(
    accountEvent({ ...pc, kind: 'HOST_ADDRESS' }, {}).events.map((e) => [e.kind, e.workstation]),
    [['HOST_ADDRESS', 'PC01']],
  );
  assert.deepEqual(accountEvent({ ...pc, kind: 'USER_LOGOFF' }, {}), skip('logoff of computer account pc01$'));
  assert.deepEqual(
    accountEvent({ ...pc, kind: 'USER_LOGOFF', machineLogoff: 'event 4634 is for machine account pc01$' }, {}),
    { events: [], skipped: 'event 4634 is for machine account pc01$' },
  );
});
