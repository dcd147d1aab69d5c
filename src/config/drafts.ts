import { z } from 'zod';
import { durationField } from './duration.js';

/** Form ids come from the page (`data-sanh-draft="…"`); kept plain because they reach logs and keys. */
export const formIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'must be 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit');

const pathPrefix = z.string().regex(/^\/[^\s?#]*$/, 'must be a path prefix starting with "/" (no spaces, query or fragment)');

const mediaType = z.string().regex(/^[a-z0-9][a-z0-9.+-]*\/(\*|[a-z0-9][a-z0-9.+-]*)$/, 'must be a media type such as "application/pdf" or "image/*"');

const MiB = 1024 * 1024;

/** Attachments (scanned documents) a form's draft may carry, uploaded with tus. */
export const attachmentsSchema = z
  .object({
    maxFileBytes: z
      .number()
      .int()
      .min(1)
      .max(2_048 * MiB)
      .default(10 * MiB)
      .describe('Largest single attachment, in bytes.'),
    maxFiles: z.number().int().min(0).max(100).default(10).describe('Attachments one draft may hold (0: none).'),
    maxTotalBytes: z
      .number()
      .int()
      .min(1)
      .max(8_192 * MiB)
      .default(50 * MiB)
      .describe("All of one draft's attachments together, in bytes."),
    types: z
      .array(mediaType)
      .default(['application/pdf', 'image/jpeg', 'image/png'])
      .describe('Media types accepted (from the upload\'s filetype metadata); "image/*" accepts any image.'),
  })
  .strict();

/** How the drafts of one form are kept. */
export const draftFormSchema = z
  .object({
    id: formIdSchema.describe("The form id, as in the page's data-sanh-draft attribute."),
    expireAfter: durationField(3_600, 400 * 86_400)
      .prefault('30d')
      .describe('A draft is deleted this long after its last change ("30d", "12h").'),
    maxBytes: z
      .number()
      .int()
      .min(1_024)
      .max(4 * MiB)
      .default(256 * 1024)
      .describe('Largest draft: the field values together, in bytes of JSON.'),
    maxFields: z.number().int().min(1).max(5_000).default(300).describe('Most fields one draft may hold.'),
    maxFieldBytes: z
      .number()
      .int()
      .min(16)
      .max(1 * MiB)
      .default(32 * 1024)
      .describe('Largest single field value, in bytes of JSON.'),
    resumeAnswer: z
      .enum(['off', 'optional', 'required'])
      .default('off')
      .describe(
        'Whether resuming on another device also asks for an answer the citizen chose: "off", "optional" (asked when the citizen set one) or "required" (the resume code works only once an answer is set).',
      ),
    attachments: attachmentsSchema.default(() => attachmentsSchema.parse({})).describe("Attachments this form's drafts may carry."),
  })
  .strict();

/** The draft-resume store: autosaved forms, resume codes, attachments. */
export const draftsSchema = z
  .object({
    enabled: z.boolean().default(true).describe('Serve /_sanh/drafts and /_sanh/draft.js.'),
    forms: z.array(draftFormSchema).default([]).describe('Per-form settings; forms not listed get the defaults (or are refused, see acceptUnlistedForms).'),
    acceptUnlistedForms: z
      .boolean()
      .optional()
      .describe(
        'Accept drafts for forms not listed in forms[], with the default settings. Default: true in development, false in production (NODE_ENV=production), so made-up form ids cannot fill the store.',
      ),
    inject: z
      .array(pathPrefix)
      .default([])
      .describe('Path prefixes of portal pages whose HTML answers get <script src="/_sanh/draft.js" defer> added before </body>.'),
    resume: z
      .object({
        maxFailures: z
          .number()
          .int()
          .min(1)
          .max(100)
          .default(10)
          .describe("Wrong answers for one draft's resume code before the code stops working for lockFor."),
        lockFor: durationField(60, 30 * 86_400)
          .prefault('1h')
          .describe('How long a code stays locked after its last wrong answer ("1h"); its owner can also get a new code at once.'),
        attemptsPerHour: z
          .number()
          .int()
          .min(1)
          .max(10_000)
          .default(20)
          .describe(
            'Wrong resume attempts per client address per hour; past it, wrong attempts from the address answer 429 with Retry-After (a right code still works).',
          ),
        failuresPerMinute: z
          .number()
          .int()
          .min(1)
          .max(10_000)
          .default(10)
          .describe(
            'Wrong resume attempts per client address per minute; past it, wrong attempts answer 429 with a Retry-After of at most a minute (a right code still works).',
          ),
      })
      .strict()
      .default({ maxFailures: 10, lockFor: 3_600, attemptsPerHour: 20, failuresPerMinute: 10 }),
    limits: z
      .object({
        createPerMinute: z.number().int().min(1).max(1_000_000).default(30).describe('Drafts created per client address per minute.'),
        writesPerMinute: z.number().int().min(1).max(1_000_000).default(240).describe('Saves per draft per minute.'),
        livePerAddress: z
          .number()
          .int()
          .min(1)
          .max(1_000_000)
          .default(100)
          .describe(
            'Live drafts (not yet expired or deleted) created from one client address; past it, new drafts from the address answer 429 with Retry-After.',
          ),
        maxStoredBytes: z
          .number()
          .int()
          .min(1 * MiB)
          .max(1_024 * 1_024 * MiB)
          .default(1_024 * MiB)
          .describe(
            'All live drafts together, in bytes (field values as maxBytes counts them, plus 1 KiB per draft); past it, new drafts and saves that grow a draft answer 507, and nothing saved is touched.',
          ),
      })
      .strict()
      .default({ createPerMinute: 30, writesPerMinute: 240, livePerAddress: 100, maxStoredBytes: 1_024 * MiB }),
    uploads: z
      .object({
        directory: z
          .string()
          .min(1)
          .optional()
          .describe(
            'Directory for attachment bytes (shared by every instance, e.g. a ReadWriteMany volume). Default: <os tmpdir>/sanh-uploads, with a warning.',
          ),
        incompleteExpireAfter: durationField(600, 30 * 86_400)
          .prefault('24h')
          .describe('An upload not finished this long after its last piece is deleted.'),
        maxChunkBytes: z
          .number()
          .int()
          .min(64 * 1024)
          .max(256 * MiB)
          .default(16 * MiB)
          .describe('Largest body of one tus PATCH request.'),
        maxStoredBytes: z
          .number()
          .int()
          .min(1 * MiB)
          .max(1_024 * 1_024 * MiB)
          .default(10_240 * MiB)
          .describe(
            "All attachments together (each counted at its Upload-Length from its creation), in bytes; past it, new uploads answer 507. Keep it below the volume's size.",
          ),
        perAddress: z
          .object({
            createPerMinute: z.number().int().min(1).max(1_000_000).default(30).describe('Uploads started per client address per minute.'),
            bytesPerHour: z
              .number()
              .int()
              .min(1 * MiB)
              .max(1_024 * 1_024 * MiB)
              .default(512 * MiB)
              .describe('Bytes of uploads (their Upload-Length) started per client address per hour.'),
          })
          .strict()
          .default({ createPerMinute: 30, bytesPerHour: 512 * MiB })
          .describe('Per client address: past either, new uploads answer 429 with Retry-After.'),
      })
      .strict()
      .default(() => ({
        incompleteExpireAfter: 86_400,
        maxChunkBytes: 16 * MiB,
        maxStoredBytes: 10_240 * MiB,
        perAddress: { createPerMinute: 30, bytesPerHour: 512 * MiB },
      })),
  })
  .strict()
  .superRefine((drafts, ctx) => {
    const seen = new Map<string, number>();
    drafts.forms.forEach((form, index) => {
      const first = seen.get(form.id);
      if (first !== undefined) ctx.addIssue({ code: 'custom', path: ['forms', index, 'id'], message: `duplicate form id "${form.id}" (also forms[${first}])` });
      else seen.set(form.id, index);
      if (form.attachments.maxFileBytes > form.attachments.maxTotalBytes) {
        ctx.addIssue({ code: 'custom', path: ['forms', index, 'attachments', 'maxFileBytes'], message: 'must not be larger than maxTotalBytes' });
      }
      if (form.maxFieldBytes > form.maxBytes)
        ctx.addIssue({ code: 'custom', path: ['forms', index, 'maxFieldBytes'], message: 'must not be larger than maxBytes' });
      if (form.attachments.maxFileBytes > drafts.uploads.perAddress.bytesPerHour) {
        ctx.addIssue({
          code: 'custom',
          path: ['forms', index, 'attachments', 'maxFileBytes'],
          message: 'must not be larger than uploads.perAddress.bytesPerHour',
        });
      }
    });
  });

/** One form's draft settings with every default applied (durations in seconds). */
export type DraftFormConfig = z.output<typeof draftFormSchema>;
/** The drafts section with every default applied. */
export type DraftsConfig = z.output<typeof draftsSchema>;

/**
 * The drafts section as the mode of the process sets what was left unset: in production
 * (`NODE_ENV=production`), drafts of forms not listed are refused unless `acceptUnlistedForms`
 * says otherwise.
 */
export function draftsForMode(drafts: DraftsConfig, production: boolean): DraftsConfig {
  return drafts.acceptUnlistedForms === undefined ? { ...drafts, acceptUnlistedForms: !production } : drafts;
}

/** The settings of a form that is not listed: the schema's defaults. */
export function defaultFormConfig(id: string): DraftFormConfig {
  return draftFormSchema.parse({ id });
}
