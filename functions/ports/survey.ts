export interface SurveyLink {
  score: number;
  url: string;
}

/** Signed, expiring satisfaction links, one per score, and their verification. */
export interface SurveyLinks {
  linksFor(caseId: string, now: Date): Promise<SurveyLink[]>;
  /** Throws InvalidSurveyTokenError for an altered, expired or foreign token. */
  verify(token: string, now: Date): Promise<{ caseId: string }>;
}
