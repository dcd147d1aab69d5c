import type { Child } from 'hono/jsx';
import { raw } from 'hono/html';
import { LAYOUT_CSS } from './client/assets.generated.js';
import { LANG_NAMES, otherLang, type Lang } from './i18n.js';

/** An HTML document of Sảnh's own: language, title, extra head elements, one inline style sheet. */
export function HtmlDocument(props: { lang: Lang; title: string; head?: Child; style: string; children: Child }) {
  return (
    <html lang={props.lang}>
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="robots" content="noindex" />
        <title>{props.title}</title>
        {props.head}
        <style>{raw(props.style)}</style>
      </head>
      <body>{props.children}</body>
    </html>
  );
}

/** The shared shell of every page Sảnh itself serves: small, self-contained, readable on a cheap phone. */
export function Layout(props: { lang: Lang; title: string; head?: Child; children: Child }) {
  return (
    <HtmlDocument lang={props.lang} title={props.title} head={props.head} style={LAYOUT_CSS}>
      <main>{props.children}</main>
    </HtmlDocument>
  );
}

/**
 * The link to the same page in the other language, labelled in that language. With `submits`,
 * a submit control of the form it stands in instead, posting that form's fields to `url`: a page
 * that holds what the citizen filled in keeps it across the switch, without JavaScript.
 */
export function LanguageSwitch(props: { lang: Lang; url: string; submits?: boolean }) {
  const other = otherLang(props.lang);
  return (
    <nav aria-label={props.lang === 'vi' ? 'Ngôn ngữ' : 'Language'}>
      {props.submits ? (
        <input type="submit" formaction={props.url} value={LANG_NAMES[other]} lang={other} />
      ) : (
        <a href={props.url} hreflang={other} lang={other}>
          {LANG_NAMES[other]}
        </a>
      )}
    </nav>
  );
}

/**
 * A JSON value for a page script, in a `<script type="application/json">` the script reads with
 * `JSON.parse`. `<` is escaped, so no value can close the element.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}

/** The `<script type="application/json">` element holding `value` (see `jsonForScript`). */
export function ScriptData(props: { id: string; value: unknown }) {
  return (
    <script type="application/json" id={props.id}>
      {raw(jsonForScript(props.value))}
    </script>
  );
}

/** Renders a page element to an HTML document string. */
export function renderDocument(element: unknown): string {
  return `<!doctype html>${String(element)}`;
}
