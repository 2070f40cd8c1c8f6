import { container } from '../adapters/container';
import { reviewDeadlines } from '../usecases/deadlines';
import { ReviewDeadlinesInput } from '../workflow/inputs';
import { task } from '../workflow/task';

const deps = container();

export const handler = task(ReviewDeadlinesInput, (input) => reviewDeadlines(deps, input));
