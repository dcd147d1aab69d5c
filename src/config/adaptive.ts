import { z } from 'zod';

/** A room's adaptive admission (AIMD on the origin's health as Sảnh proxies to it). */
export const adaptiveSchema = z
  .object({
    enabled: z.boolean().default(false).describe('Lower the room\'s admission rate by itself when the origin struggles, and raise it back when it recovers.'),
    targetP95Ms: z.number().int().min(1).max(600_000).default(1_000).describe('Origin p95 latency (ms) above which the rate goes down.'),
    maxErrorRate: z.number().min(0).max(1).default(0.05).describe('Share of origin answers that are 5xx, timeouts or unreachable above which the rate goes down.'),
    minPerMinute: z.number().positive().max(6_000_000).default(6).describe('The adaptive rate never goes below this (admissions per minute).'),
    increasePerMinute: z.number().positive().max(6_000_000).optional().describe('Added to the rate after each healthy interval. Default: a twentieth of admitPerMinute.'),
    decreaseFactor: z.number().gt(0).lt(1).default(0.7).describe('The rate is multiplied by this after an unhealthy interval.'),
    intervalSeconds: z.number().min(0.2).max(300).default(5).describe('How often the rate is reconsidered.'),
    minSamples: z.number().int().min(1).max(1_000_000).default(20).describe('Fewer origin answers than this in an interval say nothing: the rate is held.'),
  })
  .strict();

/** Adaptive admission with every default applied. */
export type AdaptiveConfig = z.output<typeof adaptiveSchema>;
