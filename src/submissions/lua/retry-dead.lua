--[[
  Puts a dead letter back at the end of its room's log, with fresh attempts and deadline.
  KEYS[1] stream  KEYS[2] receipt  KEYS[3] dead letters
  ARGV[1] group  ARGV[2] token  ARGV[3] deadline ms (after now)
  Returns 1, or 0 when it is not a dead letter (or its receipt is gone).
]]
-- @include submission
if redis.call('ZREM', KEYS[3], ARGV[2]) == 0 or redis.call('EXISTS', KEYS[2]) == 0 then return 0 end
local now = nowMs()
redis.call('HSET', KEYS[2], 'state', 'accepted', 'attempts', 0, 'deadlineAt', now + tonumber(ARGV[3]), 'updatedAt', now)
redis.call('HDEL', KEYS[2], 'failure', 'nextAttemptAt')
local ttl = tonumber(redis.call('HGET', KEYS[2], 'ttl'))
if ttl then redis.call('PEXPIRE', KEYS[2], ttl) end
ensureGroup(KEYS[1], ARGV[1])
redis.call('XADD', KEYS[1], '*', 'r', ARGV[2])
return 1
