/** Where the raw MIME of an inbound email waits (S3 on AWS, a folder locally), by SES message id. */
export interface RawMailStore {
  get(sesMessageId: string): Promise<Buffer>;
}

/** Removes stored inbound messages (an account's erasure). Answers how many were asked for: a message already gone counts as removed. */
export interface RawMailEraser {
  delete(sesMessageIds: string[]): Promise<number>;
}
