import type { Child } from 'hono/jsx';
import { raw } from 'hono/html';
import type { Lang } from './i18n.js';

const STYLE = `
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;color:#1b1f24;background:#f3f5f7}
main{max-width:34rem;margin:0 auto;padding:1.25rem 1rem 2rem}
.card{background:#fff;border:1px solid #d8dee4;border-radius:.75rem;padding:1.25rem 1.25rem 1rem}
.brand{font-size:.875rem;color:#57606a;margin:0 0 .75rem}
h1{font-size:1.375rem;line-height:1.3;margin:0 0 1rem;color:#a4161a}
.big{font-size:3rem;font-weight:700;line-height:1;margin:.25rem 0 .5rem;color:#1b1f24}
dl{margin:1rem 0;display:grid;grid-template-columns:auto 1fr;gap:.35rem .75rem}
dt{color:#57606a}dd{margin:0;font-weight:600}
p{margin:.75rem 0}
.note{font-size:.9375rem;color:#3d444d}
.muted{font-size:.8125rem;color:#57606a}
nav{margin-top:1rem;font-size:.875rem}
a{color:#0b5cad}
.code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.8125rem;color:#57606a}
`;

/** The shared shell of every page Sảnh itself serves: small, self-contained, readable on a cheap phone. */
export function Layout(props: { lang: Lang; title: string; head?: Child; children: Child }) {
  return (
    <html lang={props.lang}>
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="robots" content="noindex" />
        <title>{props.title}</title>
        {props.head}
        <style>{raw(STYLE)}</style>
      </head>
      <body>
        <main>{props.children}</main>
      </body>
    </html>
  );
}

/** Renders a page element to an HTML document string. */
export function renderDocument(element: unknown): string {
  return `<!doctype html>${String(element)}`;
}
