import { createSocket, type Socket } from 'node:dgram';

/**
 * A minimal DNS server on 127.0.0.1 answering PTR queries from a table, for tests of reverse
 * lookups (the collector's on-demand resolution). Everything else gets NXDOMAIN.
 */
export async function startPtrServer(
  ptr: Record<string, string>,
): Promise<{ address: string; stop: () => Promise<void> }> {
  const sock: Socket = createSocket('udp4');
  sock.on('message', (q, from) => {
    // Question name: labels from offset 12.
    const labels: string[] = [];
    let o = 12;
    while (o < q.length && q[o] !== 0) {
      const len = q[o] ?? 0;
      labels.push(q.toString('latin1', o + 1, o + 1 + len));
      o += len + 1;
    }
    const qEnd = o + 5; // zero byte, type, class
    const name = labels.join('.').toLowerCase();
    const ip = name.endsWith('.in-addr.arpa') ? labels.slice(0, 4).reverse().join('.') : '';
    const host = ptr[ip];
    const header = Buffer.alloc(12);
    q.copy(header, 0, 0, 2);
    header.writeUInt16BE(host ? 0x8580 : 0x8583, 2);
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(host ? 1 : 0, 6);
    const question = q.subarray(12, qEnd);
    if (!host) {
      sock.send(Buffer.concat([header, question]), from.port, from.address);
      return;
    }
    const rdata = Buffer.concat([
      ...host.split('.').map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, 'latin1')])),
      Buffer.from([0]),
    ]);
    const answer = Buffer.alloc(12);
    answer.writeUInt16BE(0xc00c, 0);
    answer.writeUInt16BE(12, 2); // PTR
    answer.writeUInt16BE(1, 4); // IN
    answer.writeUInt32BE(60, 6);
    answer.writeUInt16BE(rdata.length, 10);
    sock.send(Buffer.concat([header, question, answer, rdata]), from.port, from.address);
  });
  await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', resolve));
  return {
    address: `127.0.0.1:${sock.address().port}`,
    stop: () => new Promise((resolve) => sock.close(() => resolve())),
  };
}
