import { container } from '../adapters/container';
import { actOnDeadline } from '../usecases/deadlines';
import { ActOnDeadlineInput } from '../workflow/inputs';
import { task } from '../workflow/task';

const deps = container();

export const handler = task(ActOnDeadlineInput, (input) => actOnDeadline(deps, input));
