import type { Status } from './vocabulary';

/** A request the rules refuse. Carries enough for the caller to correct it. */
export class DomainError extends Error {
  override name = 'DomainError';
}

/** The case's status does not allow the requested move. */
export class IllegalTransitionError extends DomainError {
  override name = 'IllegalTransitionError';
  constructor(
    readonly action: string,
    readonly status: Status,
    readonly allowed: string[],
  ) {
    super(
      `cannot ${action} an escalation that is ${status}; allowed from ${status}: ${allowed.length ? allowed.join(', ') : 'nothing'}`,
    );
  }
}

/** The command is well-formed but contradicts the case (e.g. escalating past the top tier). */
export class RuleViolationError extends DomainError {
  override name = 'RuleViolationError';
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

/** The customer's satisfaction score for this case is on record already: one answer per case. */
export class AlreadyAnsweredError extends DomainError {
  override name = 'AlreadyAnsweredError';
}
