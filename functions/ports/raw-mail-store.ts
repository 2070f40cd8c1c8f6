/** Where the raw MIME of an inbound email waits (S3 on AWS, a folder locally), by SES message id. */
export interface RawMailStore {
  get(sesMessageId: string): Promise<Buffer>;
}
