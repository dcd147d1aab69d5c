import { Hono, type Context } from 'hono';
import type { DraftsConfig } from '../../config/drafts.js';
import type { Clock } from '../../platform/clock.js';
import { SanhError } from '../../platform/errors.js';
import type { SanhEnv } from '../../platform/http.js';
import type { Logger } from '../../platform/logger.js';
import { randomId } from '../../platform/random-id.js';
import type { DraftAccess, DraftSealer, OwnedDraft } from '../access.js';
import { UPLOAD_ID_PATTERN, type ExpectedChecksum, type UploadBytes } from './bytes.js';
import {
  CHECKSUM_ALGORITHMS,
  cleanFileName,
  contentDisposition,
  httpDate,
  MAX_METADATA_BYTES,
  mediaTypeOf,
  OFFSET_OCTET_STREAM,
  parseChecksum,
  parseCount,
  parseMetadata,
  TUS_EXTENSIONS,
  TUS_VERSION,
  typeAccepted,
} from './protocol.js';
import { isExpired, type UploadRecord, type UploadRecords } from './records.js';

/** What the tus routes are built from. */
export interface TusRoutesDeps {
  access: DraftAccess;
  records: UploadRecords;
  bytes: UploadBytes;
  config: DraftsConfig;
  clock: Clock;
  logger: Logger;
  /** Where the routes are mounted (default `/_sanh/drafts`); upload URLs start with it. */
  basePath: string;
  /** The raw Node request stream, when there is one (faster than the web stream). */
  rawBody?: (c: Context<SanhEnv>) => AsyncIterable<Uint8Array> | undefined;
  /** Seals file names and metadata in the records (they often name the citizen); default: kept as sent. */
  sealer?: DraftSealer;
}

/**
 * How long a PATCH holds its upload while it copies a received chunk in (bounded by the disk,
 * not the client: the chunk was received before the claim).
 */
const CLAIM_MS = 60_000;

/** Types a download may be labelled with; anything else is sent as application/octet-stream. */
const SAFE_DOWNLOAD_TYPES = new Set(['application/pdf', 'image/jpeg', 'image/png', 'image/gif', 'image/webp', 'image/heic', 'image/tiff', 'text/plain']);

/**
 * A record's sealed file name or metadata, opened; the text as stored when there is no sealer
 * (or it was stored before sealing), and a neutral name when it cannot be opened.
 */
export async function openUploadText(sealer: DraftSealer | undefined, record: UploadRecord, what: string, text: string): Promise<string> {
  if (!sealer) return text;
  try {
    return await sealer.open(record.draftId, `upload:${record.id}:${what}`, text);
  } catch {
    return what === 'name' ? 'attachment' : '';
  }
}

/** The tus URL (path) of an upload. */
export function uploadUrl(basePath: string, draftId: string, uploadId: string): string {
  return `${basePath}/${draftId}/uploads/${uploadId}`;
}

/** "10 MiB", "300 KiB", "12 bytes". */
export function formatBytes(count: number): string {
  const units: [number, string][] = [
    [1024 ** 3, 'GiB'],
    [1024 ** 2, 'MiB'],
    [1024, 'KiB'],
  ];
  for (const [size, unit] of units) if (count >= size) return `${Number((count / size).toFixed(1))} ${unit}`;
  return `${count} bytes`;
}

/**
 * tus 1.0.0 (core, creation, creation-with-upload, expiration, termination, checksum) for draft
 * attachments, mounted at `basePath`: `/:draftId/uploads` (OPTIONS, POST) and
 * `/:draftId/uploads/:uploadId` (OPTIONS, HEAD, PATCH, DELETE, and GET to download a finished
 * file). Every request is checked for ownership of the draft first; another draft's upload id is
 * not found. Same origin only: no CORS answers, and the only cookie is the drafts' owner cookie.
 * `X-HTTP-Method-Override: PATCH|DELETE` on a POST to an upload is honoured.
 */
export function tusRoutes(deps: TusRoutesDeps): Hono<SanhEnv> {
  const { access, records, bytes, config, clock, logger, basePath } = deps;
  const expireAfterMs = config.uploads.incompleteExpireAfter * 1_000;
  const app = new Hono<SanhEnv>();
  const sealText = (draftId: string, uploadId: string, what: string, text: string) =>
    deps.sealer ? deps.sealer.seal(draftId, `upload:${uploadId}:${what}`, text) : Promise.resolve(text);
  const openText = (record: UploadRecord, what: string, text: string) => openUploadText(deps.sealer, record, what, text);

  app.use('/:draftId/uploads', tusHeaders);
  app.use('/:draftId/uploads/*', tusHeaders);

  /**
   * A fault below the routes (Redis, the disk) is a 503 the client retries, not a 500: tus
   * clients resume from the offset once the store answers again.
   */
  const faultsAsUnavailable =
    (handler: (c: Context<SanhEnv>) => Response | Promise<Response>) =>
    async (c: Context<SanhEnv>): Promise<Response> => {
      try {
        return await handler(c);
      } catch (error) {
        if (error instanceof SanhError) throw error;
        throw new SanhError('store_unavailable', 'Uploads cannot be stored right now; please try again shortly.', { cause: error, retryAfterSeconds: 5 });
      }
    };

  app.options('/:draftId/uploads', (c) => options(c));
  app.options('/:draftId/uploads/:uploadId', (c) => options(c));
  app.post('/:draftId/uploads', faultsAsUnavailable(create));
  app.get(
    '/:draftId/uploads/:uploadId',
    faultsAsUnavailable((c) => (c.req.method === 'HEAD' ? head(c) : download(c))),
  );
  app.patch('/:draftId/uploads/:uploadId', faultsAsUnavailable(patch));
  app.delete('/:draftId/uploads/:uploadId', faultsAsUnavailable(terminate));
  app.post(
    '/:draftId/uploads/:uploadId',
    faultsAsUnavailable((c) => {
      const override = c.req.header('x-http-method-override')?.trim().toUpperCase();
      if (override === 'PATCH') return patch(c);
      if (override === 'DELETE') return terminate(c);
      throw new SanhError('bad_request', 'POST an upload only with X-HTTP-Method-Override: PATCH or DELETE.');
    }),
  );

  async function tusHeaders(c: Context<SanhEnv>, next: () => Promise<void>): Promise<void> {
    c.header('tus-resumable', TUS_VERSION);
    c.header('cache-control', 'no-store');
    c.header('x-content-type-options', 'nosniff');
    const version = c.req.header('tus-resumable');
    const required = c.req.method !== 'OPTIONS' && c.req.method !== 'GET';
    if ((required || version !== undefined) && version?.trim() !== TUS_VERSION) {
      throw new SanhError('unsupported_tus_version', `This server speaks tus ${TUS_VERSION}; send Tus-Resumable: ${TUS_VERSION}.`, {
        headers: { 'tus-version': TUS_VERSION },
      });
    }
    await next();
  }

  /** The draft, when the caller owns it (errors carry Tus-Resumable: `tusHeaders` set it first). */
  function owned(c: Context<SanhEnv>): Promise<OwnedDraft> {
    return access.ownedDraft(c, c.req.param('draftId') ?? '');
  }

  /** The upload, after the ownership check; expired ones are discarded and answer 410. */
  async function upload(c: Context<SanhEnv>, draft: OwnedDraft): Promise<UploadRecord> {
    const uploadId = c.req.param('uploadId') ?? '';
    const record = UPLOAD_ID_PATTERN.test(uploadId) ? await records.get(draft.id, uploadId) : undefined;
    if (!record) throw new SanhError('upload_not_found', 'No such upload in this draft.');
    if (isExpired(record, clock())) {
      await discard(record);
      throw new SanhError('upload_expired', 'This upload was not finished in time and has been deleted; start it again.');
    }
    return record;
  }

  async function discard(record: UploadRecord): Promise<void> {
    if (await records.remove(record.draftId, record.id, { ifOffset: record.offset })) await bytes.remove(record.draftId, record.id);
  }

  function progressHeaders(c: Context<SanhEnv>, record: UploadRecord): void {
    c.header('upload-offset', String(record.offset));
    if (record.completedAt === undefined) c.header('upload-expires', httpDate(record.expiresAt));
  }

  async function options(c: Context<SanhEnv>): Promise<Response> {
    const draft = await owned(c);
    c.header('tus-version', TUS_VERSION);
    c.header('tus-extension', TUS_EXTENSIONS);
    c.header('tus-max-size', String(draft.form.attachments.maxFileBytes));
    c.header('tus-checksum-algorithm', CHECKSUM_ALGORITHMS.join(','));
    return c.body(null, 204);
  }

  async function create(c: Context<SanhEnv>): Promise<Response> {
    const draft = await owned(c);
    const rules = draft.form.attachments;
    if (c.req.header('upload-defer-length') !== undefined) throw new SanhError('bad_request', 'Upload-Defer-Length is not supported: send Upload-Length.');
    const size = parseCount(c.req.header('upload-length'));
    if (size === undefined) throw new SanhError('bad_request', 'Upload-Length is required: the size of the whole file in bytes.');
    if (rules.maxFiles === 0) throw new SanhError('forbidden', 'This form takes no attachments.');
    if (size > rules.maxFileBytes) {
      throw new SanhError('payload_too_large', `A file may be at most ${formatBytes(rules.maxFileBytes)}; this one is ${formatBytes(size)}.`, {
        details: { maxFileBytes: rules.maxFileBytes },
      });
    }
    const rawMetadata = c.req.header('upload-metadata') ?? '';
    const metadata = rawMetadata.length <= MAX_METADATA_BYTES ? parseMetadata(rawMetadata) : undefined;
    if (!metadata)
      throw new SanhError('bad_request', `Upload-Metadata must be at most ${MAX_METADATA_BYTES} bytes of comma-separated "key base64value" pairs.`);
    const type = mediaTypeOf(metadata.get('filetype'));
    if (!type || !typeAccepted(type, rules.types)) {
      throw new SanhError(
        'unsupported_media_type',
        `${type ? `Files of type ${type} are not accepted here` : 'Give the file type as filetype metadata'}; this form takes ${rules.types.join(', ')}.`,
        {
          details: { types: rules.types },
        },
      );
    }
    const withBody = isChunk(c) && c.req.header('content-length')?.trim() !== '0';
    if (!withBody && parseCount(c.req.header('content-length')))
      throw new SanhError('unsupported_media_type', `Send the first chunk as ${OFFSET_OCTET_STREAM}, or no body.`);
    const checksum = withBody ? checksumOf(c) : undefined;
    if (withBody) checkBody(c, size, 0);

    // Per client address: uploads started, and their bytes (each counted at its Upload-Length).
    const client = access.clientKey?.(c) ?? 'unknown';
    await access.limit?.('upload-create', client, 1);
    if (size > 0) await access.limit?.('upload-bytes', client, size);
    const now = clock();
    for (const stale of await records.list(draft.id)) if (isExpired(stale, now)) await discard(stale);
    const id = randomId(16);
    const room = await bytes.create({ id, draftId: draft.id, size }, { maxStoredBytes: config.uploads.maxStoredBytes });
    if (!room.created) {
      throw new SanhError('storage_full', 'The server has no room for more attachments right now; what was uploaded before is safe. Please try again later.', {
        retryAfterSeconds: 300,
      });
    }
    const record: UploadRecord = {
      id,
      draftId: draft.id,
      name: await sealText(draft.id, id, 'name', cleanFileName(metadata.get('filename'))),
      type,
      size,
      offset: 0,
      metadata: rawMetadata === '' ? '' : await sealText(draft.id, id, 'metadata', rawMetadata),
      createdAt: now,
      updatedAt: now,
      expiresAt: now + expireAfterMs,
      ...(size === 0 ? { completedAt: now, sha256: await bytes.sha256({ id, draftId: draft.id, size, ...sealingOf(room) }, 0) } : {}),
      ...sealingOf(room),
    };
    const outcome = await records.create(record, rules).catch(async (error: unknown) => {
      await bytes.remove(draft.id, id).catch(() => undefined);
      throw error;
    });
    if (!outcome.created) {
      await bytes.remove(draft.id, id);
      if (outcome.reason === 'draft-gone') throw new SanhError('draft_not_found', 'No such draft.');
      if (outcome.reason === 'too-many-files') {
        throw new SanhError('payload_too_large', `This draft already has ${outcome.files} attachments, the most this form takes; remove one first.`, {
          details: { maxFiles: rules.maxFiles },
        });
      }
      const left = Math.max(0, rules.maxTotalBytes - outcome.bytes);
      throw new SanhError(
        'payload_too_large',
        `All attachments of a draft may take ${formatBytes(rules.maxTotalBytes)} together; ${formatBytes(left)} is left, and this file is ${formatBytes(size)}.`,
        {
          details: { maxTotalBytes: rules.maxTotalBytes, usedBytes: outcome.bytes },
        },
      );
    }
    const location = uploadUrl(basePath, draft.id, id);
    c.header('location', location);
    const stored = withBody ? await receive(c, record, checksum, { location }) : record;
    progressHeaders(c, stored);
    return c.body(null, 201);
  }

  async function head(c: Context<SanhEnv>): Promise<Response> {
    const record = await upload(c, await owned(c));
    progressHeaders(c, record);
    c.header('upload-length', String(record.size));
    if (record.metadata !== '') c.header('upload-metadata', await openText(record, 'metadata', record.metadata));
    return c.body(null, 200);
  }

  async function patch(c: Context<SanhEnv>): Promise<Response> {
    const record = await upload(c, await owned(c));
    const offset = parseCount(c.req.header('upload-offset'));
    if (offset === undefined) throw new SanhError('bad_request', 'Upload-Offset is required: the byte this chunk starts at.');
    if (!isChunk(c)) throw new SanhError('unsupported_media_type', `Send chunks as ${OFFSET_OCTET_STREAM}.`);
    if (offset !== record.offset) {
      throw new SanhError('upload_offset_mismatch', `This upload has ${record.offset} bytes, not ${offset}; continue from there (HEAD tells).`, {
        details: { offset: record.offset },
        headers: { 'upload-offset': String(record.offset) },
      });
    }
    const checksum = checksumOf(c);
    checkBody(c, record.size, offset);
    const stored = await receive(c, record, checksum);
    progressHeaders(c, stored);
    return c.body(null, 204);
  }

  /** Writes the request body at the record's offset and records the progress. */
  async function receive(
    c: Context<SanhEnv>,
    record: UploadRecord,
    checksum: ExpectedChecksum | undefined,
    extra: { location?: string } = {},
  ): Promise<UploadRecord> {
    const errorHeaders: Record<string, string> = extra.location ? { location: extra.location } : {};
    const room = Math.min(config.uploads.maxChunkBytes, record.size - record.offset);
    const body = deps.rawBody?.(c) ?? c.req.raw.body ?? new ReadableStream<Uint8Array>({ start: (controller) => controller.close() });
    // The chunk is received apart first; only the request that then claims the upload at its
    // offset writes it into the file: a racing PATCH at the same offset gets 409, and its bytes
    // never land.
    const outcome = await bytes.stage(record, record.offset, body, { maxBytes: room, ...(checksum ? { checksum } : {}) });
    if (outcome.checksum === 'mismatch') {
      await outcome.discard();
      throw new SanhError('checksum_mismatch', 'This chunk does not match its Upload-Checksum and was discarded; send it again.', {
        headers: { ...errorHeaders, 'upload-offset': String(record.offset) },
      });
    }
    let stored = record;
    if (outcome.written > 0) {
      const writer = randomId(12);
      const claim = await records.claim(record.draftId, record.id, record.offset, writer, CLAIM_MS).catch(async (error: unknown) => {
        await outcome.discard();
        throw error;
      });
      if (!claim.claimed) {
        await outcome.discard();
        if (claim.reason === 'missing') throw new SanhError('upload_not_found', 'This upload was deleted while the chunk arrived.');
        throw new SanhError(
          'upload_offset_mismatch',
          `Another request is writing this upload, or moved it to ${claim.record.offset} bytes; continue from the offset HEAD tells.`,
          {
            details: { offset: claim.record.offset },
            headers: { ...errorHeaders, 'upload-offset': String(claim.record.offset) },
          },
        );
      }
      try {
        await outcome.commit();
        stored = await advance(record, record.offset + outcome.written, writer);
      } catch (error) {
        await records.release(record.draftId, record.id, writer).catch(() => undefined);
        throw error;
      }
    } else await outcome.discard();
    if (outcome.ended === 'interrupted') {
      logger.info('upload chunk interrupted; kept what arrived', {
        draftId: record.draftId,
        uploadId: record.id,
        kept: outcome.written,
        offset: stored.offset,
      });
    }
    if (outcome.ended === 'over-limit') throw tooLong(record, record.offset, { ...errorHeaders, 'upload-offset': String(stored.offset) });
    return stored;
  }

  async function advance(record: UploadRecord, offset: number, writer: string): Promise<UploadRecord> {
    const now = clock();
    const complete = offset === record.size;
    const outcome = await records.advance(
      record.draftId,
      record.id,
      record.offset,
      {
        offset,
        updatedAt: now,
        expiresAt: now + expireAfterMs,
        ...(complete ? { completedAt: now, sha256: await bytes.sha256(record, record.size) } : {}),
      },
      writer,
    );
    if (outcome.advanced) return outcome.record;
    if (!outcome.record) throw new SanhError('upload_not_found', 'This upload was deleted while the chunk arrived.');
    throw new SanhError('upload_offset_mismatch', `Another request moved this upload to ${outcome.record.offset} bytes meanwhile; continue from there.`, {
      details: { offset: outcome.record.offset },
      headers: { 'upload-offset': String(outcome.record.offset) },
    });
  }

  async function download(c: Context<SanhEnv>): Promise<Response> {
    const record = await upload(c, await owned(c));
    if (record.completedAt === undefined || record.sha256 === undefined) {
      throw new SanhError('upload_incomplete', `This upload is not finished (${record.offset} of ${record.size} bytes); it can be downloaded once it is.`, {
        details: { offset: record.offset, size: record.size },
        headers: { 'upload-offset': String(record.offset) },
      });
    }
    const stream = watched(bytes.read(record, { length: record.size, sha256: record.sha256 }), (error) =>
      logger.error('attachment download failed', {
        requestId: c.get('requestId'),
        draftId: record.draftId,
        uploadId: record.id,
        error: error instanceof Error ? error.message : String(error),
      }),
    );
    c.header('content-type', SAFE_DOWNLOAD_TYPES.has(record.type) ? record.type : 'application/octet-stream');
    c.header('content-length', String(record.size));
    c.header('content-disposition', contentDisposition(await openText(record, 'name', record.name)));
    c.header('content-security-policy', "default-src 'none'; sandbox");
    c.header('etag', `"${record.sha256}"`);
    c.header('repr-digest', `sha-256=:${record.sha256}:`);
    c.header('cache-control', 'private, no-store');
    return c.body(stream, 200);
  }

  async function terminate(c: Context<SanhEnv>): Promise<Response> {
    const draft = await owned(c);
    const uploadId = c.req.param('uploadId') ?? '';
    if (!UPLOAD_ID_PATTERN.test(uploadId) || !(await records.remove(draft.id, uploadId)))
      throw new SanhError('upload_not_found', 'No such upload in this draft.');
    await bytes.remove(draft.id, uploadId);
    return c.body(null, 204);
  }

  function checksumOf(c: Context<SanhEnv>): ExpectedChecksum | undefined {
    const header = c.req.header('upload-checksum');
    if (header === undefined) return undefined;
    const checksum = parseChecksum(header);
    if (checksum === 'unsupported') {
      throw new SanhError('unsupported_checksum', `Upload-Checksum takes ${CHECKSUM_ALGORITHMS.join(' or ')}.`, {
        headers: { 'tus-checksum-algorithm': CHECKSUM_ALGORITHMS.join(',') },
      });
    }
    if (!checksum) throw new SanhError('bad_request', 'Upload-Checksum must be "<algorithm> <base64 digest>".');
    return checksum;
  }

  function checkBody(c: Context<SanhEnv>, size: number, offset: number): void {
    const declared = parseCount(c.req.header('content-length'));
    if (declared !== undefined && declared > Math.min(config.uploads.maxChunkBytes, size - offset)) throw tooLong({ size }, offset);
  }

  function tooLong(record: Pick<UploadRecord, 'size'>, offset: number, headers: Record<string, string> = {}): SanhError {
    const lacking = record.size - offset;
    const limit = config.uploads.maxChunkBytes;
    const message =
      lacking <= limit
        ? `The body is longer than the ${formatBytes(lacking)} this upload still lacks.`
        : `One request may carry at most ${formatBytes(limit)}; send the file in smaller chunks.`;
    // The rest of the body stays unread: the connection cannot carry another request after it.
    return new SanhError('payload_too_large', message, { details: { maxChunkBytes: limit }, headers: { ...headers, connection: 'close' } });
  }

  return app;
}

function sealingOf(room: { sealing?: UploadRecord['sealing'] }): Pick<UploadRecord, 'sealing'> {
  return room.sealing ? { sealing: room.sealing } : {};
}

/** True when the body is a tus chunk (Content-Type application/offset+octet-stream). */
function isChunk(c: Context<SanhEnv>): boolean {
  return c.req.header('content-type')?.split(';')[0]?.trim().toLowerCase() === OFFSET_OCTET_STREAM;
}

/** The same stream, calling `onError` if reading it fails (a download whose bytes do not match). */
function watched(stream: ReadableStream<Uint8Array>, onError: (error: unknown) => void): ReadableStream<Uint8Array> {
  const reader = stream.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const next = await reader.read();
        if (next.done) controller.close();
        else controller.enqueue(next.value);
      } catch (error) {
        onError(error);
        controller.error(error);
      }
    },
    cancel: (reason) => reader.cancel(reason),
  });
}
