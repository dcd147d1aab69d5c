--[[
  Counts a draft about to be created, when its creator and the budget have room for it.
  KEYS[1] total  KEYS[2] charges  KEYS[3] expiry  KEYS[4] creators (see includes/quota.lua)
  ARGV[1] creators' key base  ARGV[2] draft id  ARGV[3] charge (bytes)  ARGV[4] ttlMs
  ARGV[5] creator  ARGV[6] most live drafts per creator  ARGV[7] budget (bytes)
  Returns { 'ok', total } | { 'creator-full', ms until the creator's earliest draft expires }
        | { 'over-budget', total }
  Mirrors: the quota check of `create` of createMemoryDraftStore in src/drafts/memory-store.ts
]]
-- @include quota
local now = quotaNow()
prune(now)
local mine = ARGV[1] .. ARGV[5]
redis.call('ZREMRANGEBYSCORE', mine, '-inf', now)
if redis.call('ZCARD', mine) >= tonumber(ARGV[6]) then
  local earliest = redis.call('ZRANGE', mine, 0, 0, 'WITHSCORES')
  return { 'creator-full', math.max(1, tonumber(earliest[2]) - now) }
end
local used = total()
local charge = tonumber(ARGV[3])
if used + charge > tonumber(ARGV[7]) then return { 'over-budget', used } end
-- A second past the draft's own expiry: counted a little long rather than too short.
local expires = now + tonumber(ARGV[4]) + 1000
redis.call('INCRBY', KEYS[1], charge)
redis.call('HSET', KEYS[2], ARGV[2], charge)
redis.call('ZADD', KEYS[3], expires, ARGV[2])
redis.call('HSET', KEYS[4], ARGV[2], ARGV[5])
redis.call('ZADD', mine, expires, ARGV[2])
if redis.call('PEXPIRETIME', mine) < expires then redis.call('PEXPIREAT', mine, expires) end
return { 'ok', used + charge }
