/**
 * Operator templates for the waiting page.
 *
 * A room's `template` names an HTML file (relative to the configuration file's folder) that
 * replaces Sảnh's own waiting page. `loadConfigFile` reads it into `room.templateHtml` and checks
 * it with `templateProblems`; a bad template stops Sảnh from starting, with a `ConfigError`
 * naming `rooms[i].template`.
 *
 * The template is plain HTML with placeholders written `{{name}}` (spaces inside the braces are
 * allowed: `{{ position }}`). Every value is HTML-escaped when it is put in, so a placeholder may
 * stand in text or inside an attribute value. The placeholders are:
 *
 * | placeholder            | value                                                                |
 * | ---------------------- | -------------------------------------------------------------------- |
 * | `{{lang}}`             | the page language: `vi` or `en` (for `<html lang="…">`)                |
 * | `{{title}}`            | the page heading: "Bạn đang trong hàng chờ" / "You are in line"        |
 * | `{{roomName}}`         | the room's `name` in that language (default: the portal's name)      |
 * | `{{position}}`         | the visitor's place in line (1 = next), or "—" while unknown         |
 * | `{{ahead}}`            | the sentence about who is ahead ("Có 3 người trước bạn."), or empty  |
 * | `{{aheadCount}}`       | how many people are ahead, as a number, or "—" while unknown          |
 * | `{{eta}}`              | the wait in words ("khoảng 3 phút"), or "not known yet"               |
 * | `{{updated}}`          | when the figures were read, HH:MM:SS in Vietnam time                 |
 * | `{{notice}}`           | the room's notice (paused, everyone queued, figures unreadable), or empty |
 * | `{{pollAfterSeconds}}` | seconds until the page asks for news                                 |
 * | `{{returnTo}}`         | the page the visitor asked for (where they go when it is their turn) |
 * | `{{otherLang}}`        | the other language's code, `en` or `vi` (for `hreflang`)             |
 * | `{{otherLangUrl}}`     | this page in the other language                                      |
 * | `{{otherLangLabel}}`   | the other language's name in that language: "English" / "Tiếng Việt" |
 * | `{{statusUrl}}`        | the status address the page's script polls                           |
 * | `{{sanhScript}}`       | Sảnh's page script: updates the figures and moves the visitor on     |
 *
 * Rules, checked when the configuration is loaded:
 * - `{{position}}` must appear (at least once), and `{{sanhScript}}` exactly once (put it at
 *   the end of `<body>`: it holds the script and, for browsers without JavaScript, a
 *   `<noscript>` refresh);
 * - every `{{…}}` must be one of the names above (a typo is an error, not an empty string);
 * - the file may be at most 20 KB (`TEMPLATE_MAX_BYTES`, counted in UTF-8 bytes): the page is
 *   sent to every waiting visitor, often on a slow phone connection.
 *
 * The script updates, while the visitor waits, the text of the elements with these ids when the
 * template has them: `sanh-pos` (the position), `sanh-ahead` (the `{{ahead}}` sentence),
 * `sanh-eta` (the wait) and `sanh-time` (the update time). Wrap the placeholders in them, e.g.
 * `<strong id="sanh-pos">{{position}}</strong>`, for live figures; without them the figures
 * stay as the page was served until the visitor's turn comes.
 */

/** Every placeholder a waiting-page template may use (see the module documentation). */
export const TEMPLATE_PLACEHOLDERS = [
  'lang',
  'title',
  'roomName',
  'position',
  'ahead',
  'aheadCount',
  'eta',
  'updated',
  'notice',
  'pollAfterSeconds',
  'returnTo',
  'otherLang',
  'otherLangUrl',
  'otherLangLabel',
  'statusUrl',
  'sanhScript',
] as const;

/** A placeholder name. */
export type TemplatePlaceholder = (typeof TEMPLATE_PLACEHOLDERS)[number];

/** The text values of a filled template: every placeholder but `sanhScript` (which is markup). */
export type TemplateValues = Record<Exclude<TemplatePlaceholder, 'sanhScript'>, string>;

/** The largest template accepted, in UTF-8 bytes (20 KB). */
export const TEMPLATE_MAX_BYTES = 20 * 1024;

/** A checked template: literal HTML and placeholder names, alternating (even indexes are HTML). */
export interface WaitingTemplate {
  readonly parts: readonly string[];
}

const PLACEHOLDER = /\{\{([^{}]*)\}\}/g;
const KNOWN = new Set<string>(TEMPLATE_PLACEHOLDERS);

function split(html: string): string[] {
  const parts: string[] = [];
  let last = 0;
  for (const match of html.matchAll(PLACEHOLDER)) {
    parts.push(html.slice(last, match.index), (match[1] ?? '').trim());
    last = match.index + match[0].length;
  }
  parts.push(html.slice(last));
  return parts;
}

/**
 * What is wrong with a template, one sentence per problem (empty when it can be used). The
 * sentences name no field: callers prefix the field they read it from.
 */
export function templateProblems(html: string): string[] {
  const problems: string[] = [];
  const bytes = new TextEncoder().encode(html).length;
  if (bytes > TEMPLATE_MAX_BYTES) {
    problems.push(`is ${bytes} bytes; a template may be at most ${TEMPLATE_MAX_BYTES} bytes (20 KB)`);
  }
  const parts = split(html);
  const names = parts.filter((_, index) => index % 2 === 1);
  const unknown = [...new Set(names.filter((name) => !KNOWN.has(name)))];
  if (unknown.length > 0) {
    problems.push(
      `unknown placeholder${unknown.length === 1 ? '' : 's'} ${unknown.map((name) => `{{${name}}}`).join(', ')} (known: ${TEMPLATE_PLACEHOLDERS.join(', ')})`,
    );
  }
  if (!names.includes('position')) problems.push('must contain {{position}}');
  const scripts = names.filter((name) => name === 'sanhScript').length;
  if (scripts !== 1) {
    problems.push(
      scripts === 0
        ? 'must contain {{sanhScript}} (the page script that moves the visitor on), best at the end of <body>'
        : `must contain {{sanhScript}} once, not ${scripts} times`,
    );
  }
  const stray = parts.findIndex((part, index) => index % 2 === 0 && part.includes('{{'));
  if (stray !== -1) {
    const text = parts[stray] ?? '';
    const at = text.indexOf('{{');
    problems.push(`has a "{{" that is not a placeholder: "${text.slice(at, at + 30).replace(/\s+/g, ' ')}"`);
  }
  return problems;
}

/** Checks and splits a template once, for filling many times; throws an Error listing its problems. */
export function compileTemplate(html: string): WaitingTemplate {
  const problems = templateProblems(html);
  if (problems.length > 0) throw new Error(`Invalid waiting-page template: ${problems.join('; ')}`);
  return { parts: split(html) };
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML text and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ESCAPES[char] ?? char);
}

/** Fills a template: every value HTML-escaped, `{{sanhScript}}` replaced by `sanhScript` as is. */
export function fillTemplate(template: WaitingTemplate, values: TemplateValues, sanhScript: string): string {
  let out = '';
  template.parts.forEach((part, index) => {
    if (index % 2 === 0) out += part;
    else if (part === 'sanhScript') out += sanhScript;
    else out += escapeHtml(values[part as keyof TemplateValues] ?? '');
  });
  return out;
}

const compiled = new Map<string, WaitingTemplate>();

/**
 * The compiled form of a room's `templateHtml`, kept per template text (a configuration has few).
 * Throws like `compileTemplate` when the text was never checked and is invalid.
 */
export function cachedTemplate(html: string): WaitingTemplate {
  let template = compiled.get(html);
  if (!template) {
    template = compileTemplate(html);
    if (compiled.size >= 32) compiled.clear();
    compiled.set(html, template);
  }
  return template;
}

/**
 * The problems of every room's `templateHtml`, each naming the room's `template` field
 * (`rooms[1].template: must contain {{position}}`). For `ConfigError`.
 */
export function roomTemplateProblems(rooms: readonly { templateHtml?: string | undefined }[]): string[] {
  return rooms.flatMap((room, index) =>
    room.templateHtml === undefined ? [] : templateProblems(room.templateHtml).map((problem) => `rooms[${index}].template: ${problem}`),
  );
}
