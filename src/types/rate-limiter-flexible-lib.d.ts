/**
 * Deep imports of rate-limiter-flexible: its index also loads the Node `cluster` limiter, which
 * the Workers bundle cannot carry. The classes are the ones the package's own types describe.
 */
declare module 'rate-limiter-flexible/lib/RateLimiterMemory.js' {
  import { RateLimiterMemory } from 'rate-limiter-flexible';
  export default RateLimiterMemory;
}
declare module 'rate-limiter-flexible/lib/RateLimiterRes.js' {
  import { RateLimiterRes } from 'rate-limiter-flexible';
  export default RateLimiterRes;
}
