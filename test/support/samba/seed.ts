import { runOk } from './exec';
import { COMPUTER, GROUP_MEMBERS, USERS } from './settings';

/**
 * Adds the test users, groups and computer straight into sam.ldb, offline, in one python process
 * (samba-tool costs ~0.7 s per object). Uses Samba's own python bindings, which live in the
 * system python (/usr/bin/python3), not whatever python is first on PATH.
 */
const SEED_PY = String.raw`
import json, sys, ldb
from samba.param import LoadParm
from samba.samdb import SamDB
from samba.auth import system_session
conf, pw, spec = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
lp = LoadParm(); lp.load(conf)
db = SamDB(url=lp.private_path("sam.ldb"), session_info=system_session(), lp=lp)
dom = db.domain_dn()
def find(name):
    r = db.search(base=dom, expression="(sAMAccountName=%s)" % ldb.binary_encode(name), attrs=["member"])
    return r[0] if r else None
# Passwords never expire and may change at once: a cached template must keep working for months.
m = ldb.Message(ldb.Dn(db, dom))
m["maxPwdAge"] = ldb.MessageElement("-9223372036854775808", ldb.FLAG_MOD_REPLACE, "maxPwdAge")
m["minPwdAge"] = ldb.MessageElement("0", ldb.FLAG_MOD_REPLACE, "minPwdAge")
db.modify(m)
realm = lp.get("realm").lower()
for u in spec["users"]:
    if not find(u):
        db.newuser(u, pw, useusernameascn=True, givenname=u.capitalize(), surname="Lab", mailaddress="%s@%s" % (u, realm))
for g in spec["groups"]:
    if not find(g):
        db.newgroup(g)
for g, mem in spec["members"]:
    have = [str(x).lower() for x in (find(g).get("member") or [])]
    if str(find(mem).dn).lower() not in have:
        db.add_remove_group_members(g, [mem], add_members_operation=True)
c = spec["computer"]
if not find(c + "$"):
    db.newcomputer(c)
db.setpassword("(sAMAccountName=%s$)" % ldb.binary_encode(c), pw)
`;

export async function seedDomain(smbConf: string, userPassword: string): Promise<void> {
  const groups = [...new Set(GROUP_MEMBERS.map(([g]) => g))];
  const spec = JSON.stringify({ users: USERS, groups, members: GROUP_MEMBERS, computer: COMPUTER });
  await runOk('/usr/bin/python3', ['-c', SEED_PY, smbConf, userPassword, spec]);
}
