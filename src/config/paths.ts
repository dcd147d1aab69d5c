import { z } from 'zod';

/** How the origin reads a request path: a preset (see docs/paths.md). */
export const PATH_FLAVOURS = ['strict', 'nginx', 'iis', 'java'] as const;

/** A request path's flavour preset. */
export type PathFlavour = (typeof PATH_FLAVOURS)[number];

/**
 * `origin.pathNormalization`: how Sảnh reads a request path before it picks the room, the same
 * way the origin will (the path it matched is the path it forwards). A flavour preset, and
 * overrides of its individual rules.
 */
export const pathNormalizationSchema = z
  .object({
    flavour: z
      .enum(PATH_FLAVOURS)
      .default('strict')
      .describe(
        'How the origin reads paths. strict (default): RFC 3986 (dot segments, unreserved escapes, merged slashes), and a spelling a case-insensitive, ";param"-stripping or Windows origin would put in another room is refused; nginx: the same without that refusal; iis: case-insensitive, "\\" is "/", trailing dots and spaces of a segment ignored; java: ";params" of every segment ignored.',
      ),
    caseInsensitive: z
      .boolean()
      .optional()
      .describe("Rooms are matched ignoring case (and Unicode compatibility forms, e.g. fullwidth letters). Default: the flavour's (iis: true)."),
    mergeSlashes: z.boolean().optional().describe('"//" is read as "/". Default: true for every flavour.'),
    stripPathParameters: z
      .boolean()
      .optional()
      .describe('";params" of every segment are ignored when matching (they are still forwarded). Default: the flavour\'s (java: true).'),
    decodeUnreserved: z
      .boolean()
      .optional()
      .describe('Escaped letters, digits and "-._~" are forwarded decoded ("%61" as "a"); matching always reads them decoded. Default: true.'),
    backslashAsSlash: z.boolean().optional().describe('"\\" is read as "/" (else refused). Default: the flavour\'s (iis: true).'),
    windowsSegments: z
      .boolean()
      .optional()
      .describe('Trailing dots and spaces of a segment are ignored when matching ("apply." is "apply"). Default: the flavour\'s (iis: true).'),
    refuseAmbiguous: z
      .boolean()
      .optional()
      .describe(
        'Refuse (400 ambiguous_path) a spelling that a case-insensitive, ";param"-stripping or Windows origin would put in another room. Default: the flavour\'s (strict: true).',
      ),
  })
  .strict();

/** `origin.pathNormalization` as written in the file. */
export type PathNormalizationConfig = z.input<typeof pathNormalizationSchema>;
