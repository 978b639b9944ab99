import { readFileSync } from 'node:fs';
import { sharedData } from './paths';

/**
 * Volume for delivery tests, made from one real recorded 4624 record: the record is repeated with
 * its user, address and record id changed, so the agent parses real Windows XML at any count.
 * (Parsers are tested on the recordings themselves; this only needs many distinct events.)
 */
export function manyLogons(count: number): { xml: string; expected: { user: string; ip: string }[] } {
  const text = readFileSync(
    sharedData(
      'windows_security/xml_rendered_libevtx/EVTX-to-MITRE-Attack__TA0006-Credential_Access_T1558-Steal_or_Forge_Kerberos_Tickets_ID4624-Success_login_with_Golden_ticket.xml',
    ),
    'utf8',
  );
  const template = (text.match(/<Event xmlns=[\s\S]*?<\/Event>/g) ?? []).find(
    (r) => r.includes('<EventID>4624</EventID>') && /Name="IpAddress">\d/.test(r),
  );
  if (!template) throw new Error('no 4624 record with an IPv4 address in the template file');
  const parts: string[] = [];
  const expected: { user: string; ip: string }[] = [];
  for (let i = 0; i < count; i++) {
    const user = `user${i}`;
    const ip = `198.18.${Math.floor(i / 250) % 256}.${(i % 250) + 1}`;
    expected.push({ user, ip });
    parts.push(
      template
        .replace(/(Name="TargetUserName">)[^<]*/, `$1${user}`)
        .replace(/(Name="IpAddress">)[^<]*/, `$1${ip}`)
        .replace(/<EventRecordID>\d+/, `<EventRecordID>${1000 + i}`),
    );
  }
  return { xml: `${parts.join('\n\n')}\n`, expected };
}
