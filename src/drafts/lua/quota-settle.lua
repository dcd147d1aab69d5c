--[[
  Records what a write did to a counted draft: its charge moves by the change in its bytes and
  it is counted until its new expiry. Nothing for a draft that is not counted.
  KEYS[1] total  KEYS[2] charges  KEYS[3] expiry  KEYS[4] creators (see includes/quota.lua)
  ARGV[1] creators' key base  ARGV[2] draft id  ARGV[3] change in bytes  ARGV[4] new expiry (ms)
  Returns the total.
  Mirrors: the `usedBytes` update of `write` of createMemoryDraftStore in src/drafts/memory-store.ts
]]
-- @include quota
if redis.call('HEXISTS', KEYS[2], ARGV[2]) == 0 then return total() end
local delta = tonumber(ARGV[3])
if delta ~= 0 then
  redis.call('HINCRBY', KEYS[2], ARGV[2], delta)
  redis.call('INCRBY', KEYS[1], delta)
end
local expires = tonumber(ARGV[4]) + 1000
redis.call('ZADD', KEYS[3], expires, ARGV[2])
local creator = redis.call('HGET', KEYS[4], ARGV[2])
if creator then
  local mine = ARGV[1] .. creator
  redis.call('ZADD', mine, 'XX', expires, ARGV[2])
  if redis.call('PEXPIRETIME', mine) < expires then redis.call('PEXPIREAT', mine, expires) end
end
return total()
