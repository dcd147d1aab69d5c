import type { Child } from 'hono/jsx';
import { raw } from 'hono/html';

const STYLE = `body{margin:0;font:16px/1.5 system-ui,Arial,sans-serif;color:#1b1f24;background:#fff}
header{background:#a4161a;color:#fff;padding:.75rem 1rem}header a{color:#fff;text-decoration:none;font-weight:700}
main{max-width:40rem;margin:0 auto;padding:1rem}label{display:block;margin:.75rem 0 .25rem;font-weight:600}
input,select,textarea{width:100%;box-sizing:border-box;padding:.5rem;font:inherit;border:1px solid #8c959f;border-radius:.375rem}
button{margin-top:1rem;padding:.625rem 1.25rem;font:inherit;font-weight:600;color:#fff;background:#0b5cad;border:0;border-radius:.375rem}
.error{color:#a4161a;font-size:.9375rem}.steps{color:#57606a;font-size:.875rem}dl{display:grid;grid-template-columns:auto 1fr;gap:.25rem 1rem}
dt{color:#57606a}dd{margin:0}.number{font-size:1.5rem;font-weight:700}`;

/** The demo portal's page shell. */
export function Page(props: { title: string; children: Child }) {
  return (
    <html lang="vi">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${props.title} · Cổng dịch vụ công (bản trình diễn)`}</title>
        <style>{raw(STYLE)}</style>
      </head>
      <body>
        <header>
          <a href="/">Cổng dịch vụ công — bản trình diễn</a>
        </header>
        <main>
          <h1>{props.title}</h1>
          {props.children}
        </main>
      </body>
    </html>
  );
}

/** A labelled form field with its error message. */
export function Field(props: { name: string; label: string; value: string | undefined; error: string | undefined; type?: string; multiline?: boolean }) {
  const id = `f-${props.name}`;
  return (
    <div>
      <label for={id}>{props.label}</label>
      {props.multiline ? (
        <textarea id={id} name={props.name} rows={4} aria-invalid={props.error ? 'true' : undefined}>
          {props.value ?? ''}
        </textarea>
      ) : (
        <input id={id} name={props.name} type={props.type ?? 'text'} value={props.value ?? ''} aria-invalid={props.error ? 'true' : undefined} />
      )}
      {props.error ? <p class="error">{props.error}</p> : null}
    </div>
  );
}

/** Renders a page element to an HTML document. */
export function html(element: unknown): string {
  return `<!doctype html>${String(element)}`;
}
