import type { Child } from 'hono/jsx';
import { raw } from 'hono/html';
import { LANG_NAMES, otherLang, type Lang } from './i18n.js';

// Sizes in rem so text grows with the phone's font setting; nothing wider than the screen
// (long codes wrap anywhere), so every page works at 320 px.
const STYLE = `
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;color:#1b1f24;background:#f3f5f7}
main{max-width:34rem;margin:0 auto;padding:1rem .75rem 2rem}
.card{background:#fff;border:1px solid #d8dee4;border-radius:.75rem;padding:1rem}
.brand{font-size:.875rem;color:#57606a;margin:0 0 .75rem}
h1{font-size:1.375rem;line-height:1.3;margin:0 0 1rem;color:#a4161a}
h2{font-size:1.0625rem;line-height:1.3;margin:1.25rem 0 .5rem}
.big{font-size:3rem;font-weight:700;line-height:1.1;margin:.25rem 0 .5rem;font-variant-numeric:tabular-nums}
dl{margin:1rem 0;display:grid;grid-template-columns:auto 1fr;gap:.35rem .75rem}
dt{color:#57606a}dd{margin:0;font-weight:600}
p,ul{margin:.75rem 0}
ul{padding-left:1.25rem}
li{margin:.25rem 0}
.notice{border-left:.25rem solid #b35900;background:#fff8e6;padding:.5rem .75rem;margin:0 0 1rem}
.notice p{margin:.25rem 0;white-space:pre-line}
.note{font-size:.9375rem;color:#3d444d}
.muted{font-size:.875rem;color:#57606a}
nav{margin-top:1rem;font-size:.9375rem}
nav input[type=submit]{font:inherit;color:#0b5cad;background:none;border:0;padding:0;text-decoration:underline;cursor:pointer}
a{color:#0b5cad}
.code{font-family:ui-monospace,Menlo,Consolas,monospace;overflow-wrap:anywhere;word-break:break-all}
.entry{font-size:1.25rem;font-weight:700}
[hidden]{display:none}
`;

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
    <HtmlDocument lang={props.lang} title={props.title} head={props.head} style={STYLE}>
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
