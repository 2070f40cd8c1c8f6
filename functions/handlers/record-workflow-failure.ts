import { container } from '../adapters/container';
import { recordWorkflowFailure } from '../usecases/deadlines';
import { RecordFailureInput } from '../workflow/inputs';
import { task } from '../workflow/task';

const deps = container();

export const handler = task(RecordFailureInput, (input) => recordWorkflowFailure(deps, input));
