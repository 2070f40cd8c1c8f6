import { container } from '../adapters/container';
import { sesMailer } from '../adapters/ses-mailer';
import { signedSurveyLinks } from '../adapters/signed-survey-links';
import { actOnDeadline } from '../usecases/deadlines';
import { ActOnDeadlineInput } from '../workflow/inputs';
import { task } from '../workflow/task';

const deps = container({ mailer: sesMailer, survey: signedSurveyLinks });

export const handler = task(ActOnDeadlineInput, (input) => actOnDeadline(deps, input));
