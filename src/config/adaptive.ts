import { z } from 'zod';

/** Auto-activation: a room in `passthrough` switches itself to `open` while the origin struggles. */
export const autoActivateSchema = z
  .object({
    enabled: z
      .boolean()
      .default(false)
      .describe(
        'Switch the room from passthrough to open (queueing) when an interval crosses the adaptive thresholds (targetP95Ms, maxErrorRate, minSamples), and back after calmSeconds of calm.',
      ),
    calmSeconds: z
      .number()
      .min(1)
      .max(86_400)
      .default(300)
      .describe('Seconds of calm (every origin answer within the thresholds) after which an auto-activated room goes back to passthrough.'),
  })
  .strict();

/** Auto-activation with every default applied. */
export type AutoActivateConfig = z.output<typeof autoActivateSchema>;

/** A room's adaptive admission (AIMD on the origin's health as Sảnh proxies to it). */
export const adaptiveSchema = z
  .object({
    enabled: z.boolean().default(false).describe("Lower the room's admission rate by itself when the origin struggles, and raise it back when it recovers."),
    targetP95Ms: z.number().int().min(1).max(600_000).default(1_000).describe('Origin p95 latency (ms) above which the rate goes down.'),
    maxErrorRate: z
      .number()
      .min(0)
      .max(1)
      .default(0.05)
      .describe('Share of origin answers that are 5xx, timeouts or unreachable above which the rate goes down.'),
    minPerMinute: z.number().positive().max(6_000_000).default(6).describe('The adaptive rate never goes below this (admissions per minute).'),
    increasePerMinute: z
      .number()
      .positive()
      .max(6_000_000)
      .optional()
      .describe('Added to the rate after each healthy interval. Default: a twentieth of admitPerMinute.'),
    decreaseFactor: z.number().gt(0).lt(1).default(0.7).describe('The rate is multiplied by this after an unhealthy interval.'),
    intervalSeconds: z.number().min(0.2).max(300).default(5).describe('How often the rate is reconsidered.'),
    minSamples: z.number().int().min(1).max(1_000_000).default(20).describe('Fewer origin answers than this in an interval say nothing: the rate is held.'),
    autoActivate: autoActivateSchema
      .optional()
      .describe(
        'A room in passthrough switches itself to open (queueing) while the origin struggles, and back after a calm period. Works with or without enabled (which adapts the rate once the room queues).',
      ),
  })
  .strict();

/** Adaptive admission with every default applied. */
export type AdaptiveConfig = z.output<typeof adaptiveSchema>;

const instant = z.iso.datetime({ offset: true });

/**
 * The mark auto-activation leaves in a room's live settings (the store, shared by every instance)
 * while the room's `open` is its doing, or after an operator took the room over. Kept by Sảnh,
 * never written in the config file.
 */
export const autoActivationMarkerSchema = z
  .object({
    since: instant.describe('When auto-activation switched the room to open.'),
    reason: z.string().max(500).describe('What the origin did (e.g. "p95 900 ms over 500 ms").'),
    passthroughFrom: z
      .enum(['file', 'operator'])
      .describe("Where the passthrough came from: the file's mode, or an operator's live change; restored as it was."),
    endedBy: z.string().max(200).optional().describe('Who changed the mode during the activation (it is theirs now).'),
    endedAt: instant.optional().describe('When they did: auto-activation acts on the room again after calmSeconds of calm from then.'),
  })
  .strict();

/** The auto-activation mark of a room. */
export type AutoActivationMarker = z.output<typeof autoActivationMarkerSchema>;
