import nodemailer from 'nodemailer';
import type { FastifyBaseLogger } from 'fastify';

/** An outgoing e-mail: plain text always, HTML optionally. */
export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html?: string;
}

/** Sends mail through SMTP, or writes it to the log when no SMTP server is configured. */
export interface Mailer {
  /** True when an SMTP server is configured; false means mail only reaches the log. */
  readonly configured: boolean;
  /**
   * Sends one message.
   * @returns `delivered: true` once the SMTP server accepted it; false when it was only logged
   *   (callers then show the link to the person who triggered the mail).
   * @throws the transport's error when the SMTP server refuses or cannot be reached.
   */
  send(message: MailMessage): Promise<{ delivered: boolean }>;
  close(): void;
}

/**
 * Builds the mailer. With `smtpUrl` (`smtp://user:pass@host:port`, `smtps://…`, options as query
 * parameters, see nodemailer's SMTP transport) mail goes through that server; without it each
 * message is written to the log at `info` level, so a small group can run without a mail server.
 */
export function createMailer(opts: { smtpUrl: string | null; from: string; log: FastifyBaseLogger }): Mailer {
  if (!opts.smtpUrl) {
    return {
      configured: false,
      async send(message) {
        opts.log.info({ mail: { to: message.to, subject: message.subject, text: message.text } }, 'mail not sent: no SMTP_URL configured');
        return { delivered: false };
      },
      close() {},
    };
  }
  const transport = nodemailer.createTransport(opts.smtpUrl);
  return {
    configured: true,
    async send(message) {
      await transport.sendMail({ from: opts.from, to: message.to, subject: message.subject, text: message.text, html: message.html });
      return { delivered: true };
    },
    close() {
      transport.close();
    },
  };
}
