import type { ItemStatus } from './vocabulary';

// What a case keeps of its blameless review (functions/domain/review.ts has its rules): the
// shapes alone, so the case (escalation.ts) can hold a review without importing the rules that
// themselves act on cases.

/** One action of the improvement plan. Versioned on its own, so owners can update their items side by side. */
export interface ImprovementItem {
  id: string;
  team: string;
  /** The person who delivers it: their email address, where the overdue reminder goes. */
  owner: string;
  title: string;
  /** The day it is due, YYYY-MM-DD in the review calendar's zone. */
  due: string;
  status: ItemStatus;
  /** The first working moment after the due day ended: when an unfinished item is overdue and its owner reminded. */
  overdueAt: string;
  /** Optimistic lock of this item alone (If-Match on its updates). */
  version: number;
  note?: string;
  updatedAt: string;
  updatedBy: string;
}

export interface Review {
  rootCause: string;
  wentWell: string;
  communicationGaps: string;
  processFixes: string;
  /** What was offered to the customer to make up for it; absent when nothing was. */
  concession?: string;
  items: ImprovementItem[];
  recordedAt: string;
  recordedBy: string;
  /** The review's deadline as it stood when the review was recorded, and whether it was met. */
  dueBy: string;
  onTime: boolean;
}
