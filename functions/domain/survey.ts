/** The satisfaction survey's scale (PLAYBOOK §5, follow-up): one score per case, 1 to 10. */
export const SURVEY_SCORES = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] as const;
export const MIN_SCORE = 1;
export const MAX_SCORE = 10;
