--[[
  Puts a dead letter back at the end of its room's log, with fresh attempts and deadline, its old
  outcome cleared, its idempotency key bound to it again when no other submission took it.
  KEYS[1] stream  KEYS[2] receipt  KEYS[3] dead letters  KEYS[4] the bytes of the room's entries in the stream
  ARGV[1] group  ARGV[2] token  ARGV[3] deadline ms (after now)  ARGV[4] bytes each entry counts beside its request
  An operator's retry is not held to the room's byte budget (it is counted in it).
  Returns 1, or 0 when it is not a dead letter (or its receipt is gone).
  Mirrors: `retryDead` in src/submissions/state.ts
]]
-- @include submission
if redis.call('ZREM', KEYS[3], ARGV[2]) == 0 or redis.call('EXISTS', KEYS[2]) == 0 then return 0 end
local now = nowMs()
if redis.call('HEXISTS', KEYS[2], 'req') == 0 then return 0 end
redis.call('HSET', KEYS[2], 'state', 'accepted', 'attempts', 0, 'deadlineAt', now + tonumber(ARGV[3]), 'updatedAt', now, 'hasAnswer', 0)
redis.call('HDEL', KEYS[2], 'failure', 'nextAttemptAt', 'ans', 'originStatus', 'problem', 'applicationNumber')
redis.call('PERSIST', KEYS[2])
local kname, fp, kttl = unpack(redis.call('HMGET', KEYS[2], 'kname', 'fp', 'kttl'))
if kname and fp and kttl then redis.call('SET', kname, fp .. '|' .. ARGV[2], 'PX', kttl, 'NX') end
ensureGroup(KEYS[1], ARGV[1])
local size = string.len(redis.call('HGET', KEYS[2], 'req')) + tonumber(ARGV[4])
if redis.call('XLEN', KEYS[1]) == 0 then redis.call('DEL', KEYS[4]) end
redis.call('XADD', KEYS[1], '*', 'r', ARGV[2], 'sz', size)
redis.call('INCRBY', KEYS[4], size)
return 1
