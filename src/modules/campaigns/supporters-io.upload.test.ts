import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { buildTestApp, loginAs, formSession } from '../../../test/helpers/app.ts';
import { makeOrganization } from '../../../test/helpers/factories.ts';
import { insertCampaign } from '../../../test/helpers/campaigns.ts';
import { ENGINES } from '../../../test/helpers/db.ts';

/** POSTs `body` over a real socket and resolves with the status once the answer arrives. */
function post(port: number, path: string, headers: Record<string, string | number>, body: Buffer): Promise<{ status: number; connection: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: 'POST', path, headers }, (res) => {
      res.resume();
      resolve({ status: res.statusCode!, connection: res.headers.connection });
    });
    req.on('error', reject);
    let offset = 0;
    const write = () => {
      while (offset < body.length) {
        const ok = req.write(body.subarray(offset, offset + 65_536));
        offset += 65_536;
        if (!ok) return void req.once('drain', write);
      }
      req.end();
    };
    write();
  });
}

for (const engine of ENGINES) {
  describe(`supporters upload over a real connection (${engine})`, () => {
    test('a file over the limit is refused with 422 and its connection closed, so the server can still shut down', async () => {
      const t = await buildTestApp(engine);
      let closed = false;
      try {
        const org = await makeOrganization(t.db.db, { name: 'Upload Union' });
        await insertCampaign(t.db.db, org.id, { slug: 'big-list' });
        const me = await loginAs(t, { roles: [[org.id, 'coordinator']] });
        const s = await formSession(t, '/campaigns/big-list/supporters/import', me.cookie);
        await t.app.listen({ host: '127.0.0.1', port: 0 });
        const port = (t.app.server.address() as { port: number }).port;
        const boundary = 'solidaris-test-boundary';
        const head = `--${boundary}\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n${s.csrf}\r\n--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\nContent-Type: text/csv\r\n\r\n`;
        // 8 MiB: over the 5 MB import limit, under the multipart limit, so the route reads and refuses it.
        const body = Buffer.concat([Buffer.from(head), Buffer.alloc(8 * 1024 * 1024, 'a'), Buffer.from(`\r\n--${boundary}--\r\n`)]);
        const res = await post(port, '/campaigns/big-list/supporters/import', { cookie: s.cookie, 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': body.length }, body);
        assert.equal(res.status, 422);
        assert.equal(res.connection, 'close');
        assert.equal(Number((await t.db.db.selectFrom('supporter_imports').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n), 0);
        const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('the server did not close within 10 s')), 10_000).unref());
        await Promise.race([t.close(), timeout]);
        closed = true;
      } finally {
        if (!closed) await t.close().catch(() => {});
      }
    });
  });
}
