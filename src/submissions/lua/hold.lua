--[[
  Holds an idempotency key while a submission goes straight to the origin.
  KEYS[1] idempotency key
  ARGV[1] receipt key prefix  ARGV[2] fingerprint  ARGV[3] hold ms
  Returns { 'held' } | { 'existing', fields... } | { 'mismatch', receiptId|'' } | { 'in-progress' }
  Mirrors: `hold` in src/submissions/state.ts
]]
-- @include submission
local known = knownKey(KEYS[1], ARGV[2], ARGV[1])
if known then return known end
redis.call('SET', KEYS[1], 'hold:' .. ARGV[2], 'PX', ARGV[3])
return { 'held' }
