import type { Child } from 'hono/jsx';
import { raw } from 'hono/html';
import { DEMO_CSS } from './client/assets.generated.js';
import { STEPS, type FieldSpec } from './form.js';

/** The `data-sanh-draft` id carried by every form of the residence application. */
export const FORM_ID = 'residence-application';

/** Where Sảnh serves the draft autosave script (the portal runs behind Sảnh, which owns `/_sanh/`). */
export const DRAFT_SCRIPT_SRC = '/_sanh/draft.js';

function Page(props: { title: string; children: Child; drafts?: boolean }) {
  return (
    <html lang="vi">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${props.title} · Cổng dịch vụ công (bản trình diễn)`}</title>
        <style>{raw(DEMO_CSS)}</style>
        {props.drafts ? <script src={DRAFT_SCRIPT_SRC} defer></script> : null}
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

function Field(props: { field: FieldSpec; value: string | undefined; error: string | undefined }) {
  const { field, error } = props;
  const id = `f-${field.name}`;
  const common = { id, name: field.name, 'aria-invalid': error ? 'true' : undefined, 'aria-describedby': error ? `${id}-error` : undefined };
  return (
    <div>
      <label for={id}>{field.label}</label>
      {field.multiline ? (
        <textarea {...common} rows={4}>
          {props.value ?? ''}
        </textarea>
      ) : (
        <input {...common} type={field.type ?? 'text'} inputmode={field.inputMode} value={props.value ?? ''} />
      )}
      {error ? (
        <p class="error" id={`${id}-error`}>
          {error}
        </p>
      ) : null}
    </div>
  );
}

const doc = (element: unknown): string => `<!doctype html>${String(element)}`;

/** The home page: the list of procedures. */
export function homePage(): string {
  return doc(
    <Page title="Dịch vụ công trực tuyến">
      <p>Chọn thủ tục bạn muốn thực hiện:</p>
      <ul>
        <li>
          <a href="/apply">Đăng ký thường trú</a>
        </li>
        <li>Cấp đổi giấy phép lái xe (tạm ngừng)</li>
        <li>Đăng ký khai sinh (tạm ngừng)</li>
      </ul>
    </Page>,
  );
}

/** One step of the application form, with the values entered so far and any error messages. */
export function stepPage(step: number, values: Record<string, string>, errors: Record<string, string>): string {
  const spec = STEPS[step - 1]!;
  return doc(
    <Page title="Đăng ký thường trú" drafts>
      <p class="steps">{`${spec.title} (bước ${step}/${STEPS.length})`}</p>
      <form method="post" action={`/apply/step/${step}`} data-sanh-draft={FORM_ID}>
        {spec.fields.map((f) => (
          <Field field={f} value={values[f.name]} error={errors[f.name]} />
        ))}
        <button type="submit">{step < STEPS.length ? 'Tiếp tục' : 'Xem lại hồ sơ'}</button>
      </form>
    </Page>,
  );
}

/** The review page: everything entered, and the final submit button. */
export function reviewPage(values: Record<string, string>): string {
  return doc(
    <Page title="Xem lại hồ sơ" drafts>
      <dl>
        {STEPS.flatMap((spec) => spec.fields).map((f) => (
          <>
            <dt>{f.label}</dt>
            <dd>{values[f.name]}</dd>
          </>
        ))}
      </dl>
      <p>
        <a href="/apply/step/1">Sửa thông tin</a>
      </p>
      <form method="post" action="/apply/submit" data-sanh-draft={FORM_ID}>
        <button type="submit">Nộp hồ sơ</button>
      </form>
    </Page>,
  );
}

/** The confirmation page after submission; its `data-sanh-draft-done` marker makes the draft script delete the draft. */
export function submittedPage(applicationNumber: string): string {
  return doc(
    <Page title="Nộp hồ sơ thành công" drafts>
      <p data-sanh-draft-done={FORM_ID}>Hồ sơ của bạn đã được tiếp nhận. Số hồ sơ:</p>
      <p class="number" id="application-number">
        {applicationNumber}
      </p>
      <p>
        <a href={`/status/${applicationNumber}`}>Tra cứu tình trạng hồ sơ</a>
      </p>
    </Page>,
  );
}

/** The status page of one application. */
export function statusPage(applicationNumber: string): string {
  return doc(
    <Page title={`Hồ sơ ${applicationNumber}`}>
      <p>
        Tình trạng: <strong>Đã tiếp nhận</strong>.
      </p>
    </Page>,
  );
}

/** A page that only says something went wrong (overload, timeout, not found). */
export function messagePage(title: string, message: string): string {
  return doc(
    <Page title={title}>
      <p>{message}</p>
      <p>
        <a href="/">Về trang chủ</a>
      </p>
    </Page>,
  );
}
