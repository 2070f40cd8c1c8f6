import * as z from 'zod';
import { container } from '../adapters/container';
import { sesMailer } from '../adapters/ses-mailer';
import { resendOwedEmails } from '../usecases/outbox';
import { task } from '../workflow/task';

const deps = container({ mailer: sesMailer });

/**
 * Every minute (EventBridge Scheduler on AWS, a timer on the scaled clock locally): every
 * owed email that is due (a retry whose time came, a claim whose lease ran out) is sent.
 */
export const handler = task(z.unknown(), () => resendOwedEmails(deps));
