import { SANH_COOKIES } from '../platform/cookie-names.js';
import type { Context, Hono } from 'hono';
import type { DraftFormConfig } from '../config/drafts.js';
import type { SanhEnv } from '../platform/http.js';

/** The cookie that makes a device an owner of its drafts (random, HttpOnly, only sent to `/_sanh/drafts`). */
export const OWNER_COOKIE = SANH_COOKIES.draftOwner;
/** The path the owner cookie is limited to, so it never reaches the portal. */
export const OWNER_COOKIE_PATH = '/_sanh/drafts';

/** A draft the caller owns, as other parts of the drafts domain (attachments) see it. */
export interface OwnedDraft {
  id: string;
  formId: string;
  /** The form's settings (limits, attachment rules). */
  form: DraftFormConfig;
  /** When the draft expires (ms since the epoch) unless it changes again. */
  expiresAt: number;
}

/** Owner checks for routes beside the draft routes (tus uploads). */
export interface DraftAccess {
  /**
   * The draft `draftId` when the request's owner cookie owns it. Throws SanhError
   * `draft_not_found` otherwise (the same answer for missing and not-yours, so ids cannot be probed).
   */
  ownedDraft(c: Context<SanhEnv>, draftId: string): Promise<OwnedDraft>;
  /** The request's client address as the per-address limits key it (`clientKey`); absent: every request is one client. */
  clientKey?(c: Context<SanhEnv>): string;
  /**
   * Takes `points` from a per-client attachment limit (`upload-create`, `upload-bytes`); throws
   * SanhError `rate_limited` (429, Retry-After) past it. Absent: no such limits.
   */
  limit?(kind: 'upload-create' | 'upload-bytes', key: string, points: number): Promise<void>;
}

/** One attachment of a draft, as `GET /_sanh/drafts/:id` lists it (no personal data beyond the file name). */
export interface AttachmentSummary {
  id: string;
  /** The file name from the upload's metadata. */
  name: string;
  /** The media type from the upload's metadata. */
  type: string;
  /** Upload-Length: the whole file's size in bytes. */
  size: number;
  /** Upload-Offset: bytes received so far. */
  offset: number;
  complete: boolean;
  /** The tus upload URL (path), e.g. `/_sanh/drafts/<draft>/uploads/<upload>`. */
  url: string;
  /** ISO time an unfinished upload expires (Upload-Expires); absent once complete. */
  expiresAt?: string;
}

/** The attachments of drafts: tus routes and what the draft routes need of them. */
export interface DraftAttachments {
  /** Mounted at `/_sanh/drafts`: `/:draftId/uploads` and `/:draftId/uploads/:uploadId`. */
  routes: Hono<SanhEnv>;
  /** The draft's attachments, oldest first. */
  list(draftId: string): Promise<AttachmentSummary[]>;
  /** Deletes every attachment of the draft (its bytes and records); called when the draft is deleted. */
  removeAll(draftId: string): Promise<void>;
  /** Bytes all stored attachments take (each at its Upload-Length), against `uploads.maxStoredBytes`. */
  storedBytes?(): Promise<number>;
  /** Stops background work (sweeps). */
  close(): Promise<void>;
}

/**
 * Seals short texts of a draft (an attachment's file name and metadata) the way its fields are
 * sealed: AES-GCM under the ring's current key, bound to the draft and to `label`.
 */
export interface DraftSealer {
  seal(draftId: string, label: string, text: string): Promise<string>;
  /** The text; throws when it cannot be opened (key gone, altered, other draft or label). */
  open(draftId: string, label: string, sealed: string): Promise<string>;
}
