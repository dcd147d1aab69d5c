--[[
  Hands the next due submission of a room to a forwarder, within the room's delivery rate.
  In order: an entry a forwarder held for longer than reclaimAfter (XAUTOCLAIM: it died, or
  hangs); the oldest entry waiting for a retry, once due (while it has failed fewer than
  orderedAttempts times, nothing newer goes before it); the next new entry (XREADGROUP).
  Entries waiting for a retry are held by the pseudo-consumer '~retry'. XAUTOCLAIM's cursor is
  kept in the bucket hash, so successive calls sweep the whole pending list. An entry past its
  deadline is not handed out: it goes to the dead letters (KEYS[3]).
  KEYS[1] stream  KEYS[2] bucket (hash: tokens, at, pauseUntil, claimFrom)  KEYS[3] dead letters
  KEYS[4] the bytes of the room's entries in the stream (an entry taken out is taken off it)
  ARGV[1] group  ARGV[2] consumer  ARGV[3] deliveries per second  ARGV[4] burst
  ARGV[5] reclaimAfter ms  ARGV[6] orderedAttempts  ARGV[7] receipt key prefix
  Returns { 'deliver', now ms (Redis TIME), entryId, request, fields... } | { 'wait', ms }
  Mirrors: `nextDelivery` (with `rateGate`) in src/submissions/state.ts
]]
-- @include submission
local stream, group, consumer, prefix = KEYS[1], ARGV[1], ARGV[2], ARGV[7]
local now = nowMs()
local bucket = redis.call('HMGET', KEYS[2], 'tokens', 'at', 'pauseUntil', 'claimFrom')
local pause = tonumber(bucket[3]) or 0
if pause > now then return { 'wait', pause - now } end
local rate, burst = tonumber(ARGV[3]), tonumber(ARGV[4])
local tokens = tonumber(bucket[1]) or burst
local at = tonumber(bucket[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) / 1000 * rate)
local function saveBucket()
  redis.call('HSET', KEYS[2], 'tokens', tostring(tokens), 'at', now)
end
if tokens < 1 then
  saveBucket()
  return { 'wait', math.max(1, math.ceil((1 - tokens) / rate * 1000)) }
end
if redis.call('EXISTS', stream) == 0 then
  saveBucket()
  return { 'wait', 1000 }
end

local function tokenOf(entryFields)
  for i = 1, #entryFields, 2 do
    if entryFields[i] == 'r' then return entryFields[i + 1] end
  end
  return nil
end

-- Gives entry `id` (already owned by this consumer; `size` its bytes) to it: nil when its receipt is gone.
local function take(id, token, size)
  local rkey = prefix .. (token or '')
  if not token or redis.call('EXISTS', rkey) == 0 then
    redis.call('XACK', stream, group, id)
    redis.call('XDEL', stream, id)
    releaseBytes(KEYS[4], stream, size)
    return nil
  end
  if (tonumber(redis.call('HGET', rkey, 'deadlineAt')) or now) < now then
    redis.call('XACK', stream, group, id)
    redis.call('XDEL', stream, id)
    releaseBytes(KEYS[4], stream, size)
    markFailed(rkey, KEYS[3], token, now, 'deadline', redis.call('HGET', rkey, 'problem') or 'not delivered in time')
    return nil
  end
  tokens = tokens - 1
  saveBucket()
  redis.call('HSET', rkey, 'state', 'delivering', 'updatedAt', now)
  redis.call('HINCRBY', rkey, 'attempts', 1)
  redis.call('HDEL', rkey, 'nextAttemptAt')
  local reply = receiptReply(rkey)
  table.insert(reply, 1, redis.call('HGET', rkey, 'req'))
  table.insert(reply, 1, id)
  table.insert(reply, 1, now)
  table.insert(reply, 1, 'deliver')
  return reply
end

local reclaimed = redis.pcall('XAUTOCLAIM', stream, group, consumer, ARGV[5], bucket[4] or '0-0', 'COUNT', 1)
if type(reclaimed) == 'table' and reclaimed.err then
  if not string.find(reclaimed.err, 'NOGROUP', 1, true) then return redis.error_reply(reclaimed.err) end
  redis.call('XGROUP', 'CREATE', stream, group, '0', 'MKSTREAM')
  reclaimed = { '0-0', {} }
end
redis.call('HSET', KEYS[2], 'claimFrom', reclaimed[1])
for _, entry in ipairs(reclaimed[2]) do
  local id, token = entry[1], tokenOf(entry[2])
  local receipt = token and redis.call('HMGET', prefix .. token, 'state', 'nextAttemptAt') or {}
  if receipt[1] == 'retrying' and (tonumber(receipt[2]) or 0) > now then
    redis.call('XCLAIM', stream, group, '~retry', 0, id, 'JUSTID')
  else
    local reply = take(id, token, entrySize(entry[2]))
    if reply then return reply end
  end
end

local waiting = redis.call('XPENDING', stream, group, '-', '+', 100, '~retry')
for _, pending in ipairs(waiting) do
  local id = pending[1]
  local found = redis.call('XRANGE', stream, id, id)
  local token = found[1] and tokenOf(found[1][2])
  local receipt = token and redis.call('HMGET', prefix .. token, 'nextAttemptAt', 'attempts') or {}
  local due = tonumber(receipt[1]) or 0
  if due <= now then
    redis.call('XCLAIM', stream, group, consumer, 0, id, 'JUSTID')
    local reply = take(id, token, found[1] and entrySize(found[1][2]) or 0)
    if reply then return reply end
  elseif (tonumber(receipt[2]) or 0) < tonumber(ARGV[6]) then
    saveBucket()
    return { 'wait', due - now }
  end
end

for _ = 1, 5 do
  local read = redis.call('XREADGROUP', 'GROUP', group, consumer, 'COUNT', 1, 'STREAMS', stream, '>')
  if not read or not read[1] or #read[1][2] == 0 then break end
  local entry = read[1][2][1]
  local reply = take(entry[1], tokenOf(entry[2]), entrySize(entry[2]))
  if reply then return reply end
end
saveBucket()
return { 'wait', 1000 }
