import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { RawMailStore } from '../ports/raw-mail-store';

/** The SES receipt rule's S3 action stores each message at `<prefix><SES message id>`. */
export class S3RawMailStore implements RawMailStore {
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
}
