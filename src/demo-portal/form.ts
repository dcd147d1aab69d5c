/** The residence registration form: three steps of fields, each with its check. */

/** One field of the form. */
export interface FieldSpec {
  name: string;
  label: string;
  type?: string;
  inputMode?: 'numeric' | 'tel';
  multiline?: boolean;
  check: (value: string) => string | undefined;
}

const required = (label: string) => (value: string) => (value.trim() ? undefined : `Vui lòng nhập ${label.toLowerCase()}.`);

/** The steps, in order. */
export const STEPS: readonly { title: string; fields: readonly FieldSpec[] }[] = [
  {
    title: 'Bước 1: Thông tin cá nhân',
    fields: [
      { name: 'fullName', label: 'Họ và tên', check: required('Họ và tên') },
      {
        name: 'birthDate',
        label: 'Ngày sinh',
        type: 'date',
        check: (v) => (/^\d{4}-\d{2}-\d{2}$/.test(v) && !Number.isNaN(Date.parse(v)) ? undefined : 'Ngày sinh không hợp lệ.'),
      },
      {
        name: 'nationalId',
        label: 'Số định danh cá nhân',
        inputMode: 'numeric',
        check: (v) => (/^\d{12}$/.test(v.trim()) ? undefined : 'Số định danh cá nhân gồm đúng 12 chữ số.'),
      },
    ],
  },
  {
    title: 'Bước 2: Địa chỉ đăng ký thường trú',
    fields: [
      { name: 'province', label: 'Tỉnh/Thành phố', check: required('Tỉnh/Thành phố') },
      { name: 'district', label: 'Quận/Huyện', check: required('Quận/Huyện') },
      { name: 'address', label: 'Địa chỉ', check: required('Địa chỉ') },
    ],
  },
  {
    title: 'Bước 3: Giấy tờ kèm theo',
    fields: [
      { name: 'documents', label: 'Danh sách giấy tờ kèm theo', multiline: true, check: required('Danh sách giấy tờ') },
      {
        name: 'phone',
        label: 'Số điện thoại liên hệ',
        type: 'tel',
        inputMode: 'tel',
        check: (v) => (/^0\d{9,10}$/.test(v.replace(/\s/g, '')) ? undefined : 'Số điện thoại gồm 10-11 chữ số, bắt đầu bằng 0.'),
      },
    ],
  },
];

/** Checks one step's submitted values; returns the messages by field name. */
export function checkStep(step: number, values: Record<string, string>): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const field of STEPS[step - 1]?.fields ?? []) {
    const message = field.check(values[field.name] ?? '');
    if (message) errors[field.name] = message;
  }
  return errors;
}
