/**
 * A rejection reason as a metric label: the ingest check's sentence names values (a domain, a
 * sequence number), and a label must come from a small fixed set.
 */
const REASONS: readonly (readonly [RegExp, string])[] = [
  [/^seq /, 'bad_sequence'],
  [/^kind /, 'unknown_kind'],
  [/ is longer than /, 'field_too_long'],
  [/^ip /, 'bad_address'],
  [/^eventTimeMs/, 'no_time'],
  [/control characters/, 'control_characters'],
  [/names more than one domain/, 'several_domains'],
  [/is not a domain name/, 'bad_domain'],
  [/outside the agent certificate/, 'domain_not_covered'],
];

export function rejectReason(reason: string): string {
  for (const [re, label] of REASONS) if (re.test(reason)) return label;
  return 'other';
}
