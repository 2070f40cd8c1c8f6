import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ConfigurationError, type Config } from '../config';
import type { RawMailStore } from '../ports/raw-mail-store';
import { awsClient, clientOptions } from './aws-clients';

/** The raw mail store a handler wires in its container() call: the inbound bucket CDK names. */
export function s3RawMailStore(config: Config) {
  if (!config.INBOUND_BUCKET) throw new ConfigurationError('INBOUND_BUCKET is not set: this function reads inbound mail, so CDK must call useRawMail on it');
  return new S3RawMailStore(awsClient('s3', new S3Client(clientOptions('s3'))), config.INBOUND_BUCKET, config.INBOUND_PREFIX);
}

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
