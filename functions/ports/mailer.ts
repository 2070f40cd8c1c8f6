export interface TemplatedEmail {
  template: string;
  to: string[];
  data: Record<string, unknown>;
  replyTo?: string;
}

/** Sends one templated email (SES v2 on AWS and locally). Returns the provider's message id. */
export interface Mailer {
  send(email: TemplatedEmail): Promise<{ messageId: string }>;
}
