--[[
  Records the outcome of a delivery attempt, if the entry is still this consumer's. A delivered
  submission's request is deleted and its receipt starts its life; a failed one keeps its request
  (an operator may retry it), goes to the dead letters and frees its idempotency key.
  KEYS[1] stream  KEYS[2] receipt  KEYS[3] bucket  KEYS[4] dead letters (sorted set)
  KEYS[5] the bytes of the room's entries in the stream (an entry settled for good is taken off it)
  ARGV[1] group  ARGV[2] consumer  ARGV[3] entry id  ARGV[4] token  ARGV[5] kind
  kind 'delivered': ARGV[6] status  ARGV[7] application number ('')  ARGV[8] sealed answer ('')
  kind 'retry':     ARGV[6] delay ms  ARGV[7] problem  ARGV[8] room pause ms ('')
  kind 'failed':    ARGV[6] reason  ARGV[7] problem  ARGV[8] status ('')  ARGV[9] sealed answer ('')
  Returns 1, or 0 when the entry is no longer held by this consumer.
  Mirrors: `settleDelivery` (with `settledFields`) in src/submissions/state.ts
]]
-- @include submission
local stream, group, id = KEYS[1], ARGV[1], ARGV[3]
local held = redis.call('XPENDING', stream, group, id, id, 1, ARGV[2])
if #held == 0 then return 0 end
local now = nowMs()
local kind = ARGV[5]
local exists = redis.call('EXISTS', KEYS[2]) == 1
if kind == 'retry' then
  redis.call('XCLAIM', stream, group, '~retry', 0, id, 'JUSTID')
  if exists then
    redis.call('HSET', KEYS[2], 'state', 'retrying', 'nextAttemptAt', now + tonumber(ARGV[6]), 'problem', ARGV[7], 'updatedAt', now)
  end
  if ARGV[8] ~= '' then
    local pauseTo = now + tonumber(ARGV[8])
    local pause = tonumber(redis.call('HGET', KEYS[3], 'pauseUntil')) or 0
    if pauseTo > pause then redis.call('HSET', KEYS[3], 'pauseUntil', pauseTo) end
  end
else
  local found = redis.call('XRANGE', stream, id, id)
  redis.call('XACK', stream, group, id)
  redis.call('XDEL', stream, id)
  releaseBytes(KEYS[5], stream, found[1] and entrySize(found[1][2]) or 0)
  if exists then
    if kind == 'delivered' then
      redis.call('HSET', KEYS[2], 'state', 'delivered', 'deliveredAt', now, 'originStatus', ARGV[6], 'updatedAt', now,
        'hasAnswer', ARGV[8] == '' and 0 or 1)
      redis.call('HDEL', KEYS[2], 'req', 'ans', 'applicationNumber')
      if ARGV[7] ~= '' then redis.call('HSET', KEYS[2], 'applicationNumber', ARGV[7]) end
      if ARGV[8] ~= '' then redis.call('HSET', KEYS[2], 'ans', ARGV[8]) end
    else
      redis.call('HDEL', KEYS[2], 'ans', 'originStatus')
      redis.call('HSET', KEYS[2], 'hasAnswer', ARGV[9] == '' and 0 or 1)
      if ARGV[8] ~= '' then redis.call('HSET', KEYS[2], 'originStatus', ARGV[8]) end
      if ARGV[9] ~= '' then redis.call('HSET', KEYS[2], 'ans', ARGV[9]) end
      markFailed(KEYS[2], KEYS[4], ARGV[4], now, ARGV[6], ARGV[7])
    end
  end
end
if exists and kind == 'delivered' then
  local ttl = tonumber(redis.call('HGET', KEYS[2], 'ttl'))
  if ttl then redis.call('PEXPIRE', KEYS[2], ttl) end
end
return 1
