import { SURVEY_SCORES } from '../domain/survey';
import type { Problem } from './problem';

// The pages of the satisfaction survey, the only part of the API people see in a browser. Plain
// HTML: one form that works without JavaScript, labelled for screen readers, English.

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escape = (text: string) => text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);

const STYLE = `
body { font-family: system-ui, sans-serif; line-height: 1.5; color: #1a1a1a; background: #fff; margin: 0; }
main { max-width: 36rem; margin: 3rem auto; padding: 0 1rem; }
h1 { font-size: 1.5rem; }
fieldset { border: 1px solid #767676; border-radius: 6px; padding: 1rem; margin: 0 0 1.5rem; }
legend { padding: 0 .25rem; font-weight: 600; }
.scores { display: flex; flex-wrap: wrap; gap: .5rem; margin-top: .75rem; }
.scores label { display: inline-flex; align-items: center; gap: .25rem; min-width: 3rem; padding: .5rem; border: 1px solid #767676; border-radius: 4px; cursor: pointer; }
.scale { display: flex; justify-content: space-between; font-size: .9rem; color: #4a4a4a; margin-top: .5rem; }
button { font: inherit; font-weight: 600; padding: .75rem 1.5rem; border: 0; border-radius: 4px; background: #0b5394; color: #fff; cursor: pointer; }
:focus-visible { outline: 3px solid #f0a30a; outline-offset: 2px; }
`;

function page(title: string, content: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${escape(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<h1>${escape(title)}</h1>
${content}
</main>
</body>
</html>
`;
}

/**
 * The survey question, with the score from the link already chosen. Opening the link records
 * nothing (mail scanners open links too); only the button does. The form posts to the link's
 * own path: the token in it is the credential.
 */
export function surveyForm(token: string, chosen?: number): string {
  const options = SURVEY_SCORES.map(
    (score) =>
      `<label for="score-${score}"><input type="radio" id="score-${score}" name="score" value="${score}" required${score === chosen ? ' checked' : ''}>${score}</label>`,
  ).join('\n');
  return page(
    'How did we do?',
    `<p>Your escalation with us is resolved. How satisfied are you with the way we handled it?</p>
<form method="post" action="${escape(encodeURIComponent(token))}">
<fieldset>
<legend>Your score, from 1 (not at all satisfied) to 10 (completely satisfied)</legend>
<div class="scores">
${options}
</div>
<div class="scale" aria-hidden="true"><span>1: not at all</span><span>10: completely</span></div>
</fieldset>
<button type="submit">Send my score</button>
</form>
<p>Your answer goes to the team that handled your case. You can answer once.</p>`,
  );
}

export function thankYouPage(score: number): string {
  return page('Thank you', `<p>We recorded your score of ${score} out of 10. It helps us do better.</p>`);
}

export function alreadyAnsweredPage(score: number): string {
  return page('We already have your answer', `<p>Your score of ${score} out of 10 for this escalation is on record. Thank you for telling us.</p>`);
}

/** An error as a person reads it: what happened, in their words; the API's own wording below it. */
export function surveyProblemPage(problem: Problem): string {
  const said: Record<number, [string, string]> = {
    400: ['This link is not quite right', 'Part of the survey link seems damaged. Please open it again from the email.'],
    403: ['This survey link is not valid', 'It may have been changed on its way to you. Please open it again from the email.'],
    404: ['We could not find this survey', 'The escalation it belongs to is no longer here.'],
    409: ['We already have your answer', 'A score for this escalation is on record already. Thank you for telling us.'],
    410: ['This survey link has expired', 'Survey links work for 30 days after the follow-up email. Thank you for wanting to answer.'],
  };
  const [title, message] = said[problem.status] ?? ['Something went wrong on our side', 'Your answer was not recorded. Please try again in a little while.'];
  return page(title, `<p>${escape(message)}</p>${problem.status < 500 && problem.detail ? `<p><small>${escape(problem.detail)}</small></p>` : ''}`);
}
