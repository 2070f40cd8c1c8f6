/**
 * AWS list prices used by bench/cost.ts and docs/scaling.md: US East (N. Virginia),
 * on-demand, no free tier, no Savings Plans. Checked on PRICES_CHECKED; prices change,
 * so re-check the pages below before relying on a figure.
 */
export const PRICES_CHECKED = '2025-11-22';
export const PRICE_REGION = 'us-east-1';

export const PRICES = {
  lambda: {
    /** arm64 (Graviton), first 7.5 billion GB-s a month. https://aws.amazon.com/lambda/pricing/ */
    perGbSecond: 0.0000133334,
    /** https://aws.amazon.com/lambda/pricing/ */
    perRequest: 0.2 / 1_000_000,
  },
  stepFunctions: {
    /** Standard workflows, $0.025 per 1,000 state transitions (retries count). https://aws.amazon.com/step-functions/pricing/ */
    perStateTransition: 0.025 / 1_000,
  },
  dynamodb: {
    /** On-demand, after the November 2024 price cut: $0.625 per million write request units. https://aws.amazon.com/dynamodb/pricing/on-demand/ */
    perWriteRequestUnit: 0.625 / 1_000_000,
    /** $0.125 per million read request units. */
    perReadRequestUnit: 0.125 / 1_000_000,
    /** Standard table class storage, per GB-month (first 25 GB free). */
    perGbMonth: 0.25,
  },
  apiGateway: {
    /** HTTP APIs, first 300 million requests a month (512 KB metering unit). https://aws.amazon.com/api-gateway/pricing/ */
    perHttpApiRequest: 1.0 / 1_000_000,
  },
  ses: {
    /** $0.10 per 1,000 emails; every recipient counts as one email. https://aws.amazon.com/ses/pricing/ */
    perEmail: 0.1 / 1_000,
  },
  cloudWatch: {
    /** Logs ingestion (standard), per GB: what the EMF metric lines cost to ship. https://aws.amazon.com/cloudwatch/pricing/ */
    perLogGb: 0.5,
  },
} as const;

/** The budget for one escalation's whole lifecycle, email excluded (issue: "under $0.001"). */
export const LIFECYCLE_BUDGET_USD = 0.001;
