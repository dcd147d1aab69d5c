--[[
  Removes a dead letter for good; its receipt says it was dropped, its request is deleted and its
  idempotency key freed.
  KEYS[1] receipt  KEYS[2] dead letters
  ARGV[1] token
  Returns 1, or 0 when it is not a dead letter.
  Mirrors: `dropDead` in src/submissions/state.ts
]]
-- @include submission
if redis.call('ZREM', KEYS[2], ARGV[1]) == 0 then return 0 end
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('HSET', KEYS[1], 'failure', 'dropped', 'updatedAt', nowMs())
  redis.call('HDEL', KEYS[1], 'req')
  freeKey(KEYS[1], ARGV[1])
end
return 1
