import { DeleteObjectCommand, GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ConfigurationError, type Config } from '../config';
import type { RawMailEraser, RawMailStore } from '../ports/raw-mail-store';
import { forEachConcurrently } from '../support/concurrently';
import { awsClient, clientOptions } from './aws-clients';

/** The raw mail store a handler wires in its container() call: the inbound bucket CDK names. */
export function s3RawMailStore(config: Config) {
  if (!config.INBOUND_BUCKET) throw new ConfigurationError('INBOUND_BUCKET is not set: this function reads inbound mail, so CDK must call useRawMail on it');
  return new S3RawMailStore(awsClient('s3', new S3Client(clientOptions('s3'))), config.INBOUND_BUCKET, config.INBOUND_PREFIX);
}

/** Deleting side by side: an account's erasure holds a few hundred messages at most. */
const DELETE_CONCURRENCY = 8;

/**
 * The eraser the accounts function wires: the inbound bucket CDK names, or, on a stack without an
 * inbound domain (no bucket, so no mail was ever stored), one that has nothing to delete.
 */
export function s3RawMailEraser(config: Config): RawMailEraser {
  if (!config.INBOUND_BUCKET) return { delete: async (ids) => ids.length };
  return new S3RawMailStore(awsClient('s3', new S3Client(clientOptions('s3'))), config.INBOUND_BUCKET, config.INBOUND_PREFIX);
}

/** The SES receipt rule's S3 action stores each message at `<prefix><SES message id>`. */
export class S3RawMailStore implements RawMailStore, RawMailEraser {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly prefix: string,
  ) {}

  async get(sesMessageId: string) {
    const { Body } = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: `${this.prefix}${sesMessageId}` }));
    if (!Body) throw new Error(`inbound message ${sesMessageId} is empty`);
    return Buffer.from(await Body.transformToByteArray());
  }

  /** DeleteObject answers 204 for a key that is not there, so a second erasure deletes nothing and fails nothing. */
  async delete(sesMessageIds: string[]) {
    await forEachConcurrently(sesMessageIds, DELETE_CONCURRENCY, async (id) => void (await this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: `${this.prefix}${id}` }))));
    return sesMessageIds.length;
  }
}
