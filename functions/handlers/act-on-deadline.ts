import { container } from '../adapters/container';
import { signedSurveyLinks } from '../adapters/signed-survey-links';
import { actOnDeadline } from '../usecases/deadlines';
import { ActOnDeadlineInput } from '../workflow/inputs';
import { task } from '../workflow/task';

// The follow-up's survey links are signed here; its emails leave through the outbox (the table's stream).
const deps = container({ survey: signedSurveyLinks });

export const handler = task(ActOnDeadlineInput, (input) => actOnDeadline(deps, input));
