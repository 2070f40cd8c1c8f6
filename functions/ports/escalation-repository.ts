import type { Change, Escalation, TimelineEvent } from '../domain/escalation';
import type { Severity, Status } from '../domain/vocabulary';

export interface IdempotencyClaim {
  /** Scoped to the caller: two clients may pick the same key. */
  principal: string;
  key: string;
  /** Hash of the request; the same key with another request is refused. */
  fingerprint: string;
  expiresAt: Date;
}

export interface ListFilter {
  status?: Status;
  severity?: Severity;
  accountId?: string;
  owner?: string;
}

export interface Page<T> {
  items: T[];
  nextCursor?: string;
}

export interface StoredEvent extends TimelineEvent {
  seq: string;
}

export interface EscalationRepository {
  /** Writes a new case and its first events atomically; a replayed idempotency key returns the first case. */
  create(change: Change, claim?: IdempotencyClaim): Promise<{ escalation: Escalation; replayed: boolean }>;
  get(id: string): Promise<Escalation | undefined>;
  /** Writes the next version and its events atomically, if the stored version is still `expectedVersion`. */
  save(change: Change, expectedVersion: number): Promise<void>;
  list(filter: ListFilter, page: { limit: number; cursor?: string }, now: Date): Promise<Page<Escalation>>;
  timeline(id: string, page: { limit: number; cursor?: string }): Promise<Page<StoredEvent>>;
}
