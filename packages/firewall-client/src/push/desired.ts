import { isIPv6 } from 'node:net';
import { networkContains, type DomainNames, type Identity__Output } from '@fsso/common';
import { SetMembership } from '../nft/membership';
import type { FirewallClient } from '../client';
import type { PushTargetConfig } from './config';
import type { DesiredState } from './delivery';
import type { PushIdentity } from './types';

/**
 * What one target should hold, read from the firewall client's served table through the target's
 * filters. Only one named user per address is pushed: shared, contested and user-less addresses
 * are left out (a firewall's identity table has room for one user per address, and "never the
 * wrong user"), as are identities resolved on demand unless the target takes `inferred`.
 */
export class FilteredTable implements DesiredState {
  private readonly membership: SetMembership | undefined;

  constructor(
    private readonly client: FirewallClient,
    private readonly cfg: PushTargetConfig,
    names: DomainNames,
  ) {
    this.membership =
      cfg.groups.length > 0
        ? new SetMembership(
            [
              {
                name: 'push',
                groups: cfg.groups,
                users: [],
                unknown: false,
                shared: false,
                contested: false,
                inferred: cfg.inferred,
              },
            ],
            names,
          )
        : undefined;
  }

  get(ip: string): PushIdentity | undefined {
    return this.filter(this.client.lookupKey(ip));
  }

  all(): PushIdentity[] {
    const out: PushIdentity[] = [];
    for (const id of this.client.entries()) {
      const p = this.filter(id);
      if (p) out.push(p);
    }
    return out;
  }

  private filter(id: Identity__Output | undefined): PushIdentity | undefined {
    if (!id || id.shared || id.contested || id.user === '') return undefined;
    if (id.inferred && !this.cfg.inferred) return undefined;
    if (this.cfg.kind === 'fortigate-rsso' && !this.cfg.ipv6 && isIPv6(id.ip)) return undefined;
    if (this.cfg.networks.length > 0 && !this.cfg.networks.some((n) => networkContains(n, id.ip))) return undefined;
    if (this.membership && this.membership.setsOf(id).length === 0) return undefined;
    return { ip: id.ip, user: id.user, domain: id.domain, groups: [...id.groups] };
  }
}
