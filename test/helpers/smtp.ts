import { before, after } from 'node:test';
import { SMTPServer } from 'smtp-server';
import { simpleParser, type ParsedMail } from 'mailparser';
import type { AddressInfo } from 'node:net';

/** A real SMTP server on a random loopback port that keeps every message it receives. */
export interface TestSmtp {
  /** `smtp://127.0.0.1:<port>` for `SMTP_URL` / `buildApp({ smtpUrl })`. */
  url: string;
  messages: ParsedMail[];
  /** Resolves with the first received message that `match` accepts (waits up to 5 s). */
  waitFor(match: (m: ParsedMail) => boolean): Promise<ParsedMail>;
  close(): Promise<void>;
}

/** Starts the test SMTP server (no TLS, no authentication). */
export async function startTestSmtp(): Promise<TestSmtp> {
  const messages: ParsedMail[] = [];
  const waiters: { match: (m: ParsedMail) => boolean; resolve: (m: ParsedMail) => void }[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, _session, callback) {
      simpleParser(stream)
        .then((mail) => {
          messages.push(mail);
          for (const w of waiters.splice(0)) {
            if (w.match(mail)) w.resolve(mail);
            else waiters.push(w);
          }
          callback();
        })
        .catch(callback);
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    waitFor(match) {
      const found = messages.find(match);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no matching mail within 5 s')), 5000);
        waiters.push({ match, resolve: (m) => { clearTimeout(timer); resolve(m); } });
      });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * Registers a test SMTP server for the current file or `describe`: started before the tests,
 * closed after them. Returns the handle, filled in once `before` has run.
 */
export function useTestSmtp(): TestSmtp {
  const handle = {} as TestSmtp;
  before(async () => {
    Object.assign(handle, await startTestSmtp());
  });
  after(async () => {
    await handle.close();
  });
  return handle;
}

let addresses = 0;

/** A fresh e-mail address per call (`<local>.<n>.<ms>@example.org`), so mails of earlier tests never match. */
export function uniqueAddress(local: string): string {
  addresses += 1;
  return `${local}.${addresses}.${Date.now()}@example.org`;
}
