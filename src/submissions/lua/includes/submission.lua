-- Shared helpers of the submissions scripts.
-- Mirrors: `knownKey`, `newReceipt`, `freeKey`, `failEntry` and `removeEntry` in src/submissions/state.ts
local function nowMs()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- The receipt fields every reply carries, in this order (the TypeScript adapter reads them so).
local RECEIPT_FIELDS = { 'id', 'room', 'number', 'state', 'acceptedAt', 'updatedAt', 'attempts', 'deadlineAt',
  'nextAttemptAt', 'deliveredAt', 'originStatus', 'applicationNumber', 'problem', 'failure', 'hasAnswer' }

local function receiptReply(key)
  return redis.call('HMGET', key, unpack(RECEIPT_FIELDS))
end

-- The outcome for a key already known: { 'in-progress' } | { 'mismatch', receiptId|'' } |
-- { 'existing', fields... } | nil when the key is free (or names a receipt that is gone).
local function knownKey(key, fingerprint, receiptPrefix)
  local value = redis.call('GET', key)
  if not value then return nil end
  if string.sub(value, 1, 5) == 'hold:' then
    if value == 'hold:' .. fingerprint then return { 'in-progress' } end
    return { 'mismatch', '' }
  end
  local bar = string.find(value, '|', 1, true)
  local fp = string.sub(value, 1, bar - 1)
  local rkey = receiptPrefix .. string.sub(value, bar + 1)
  if fp ~= fingerprint then
    return { 'mismatch', redis.call('HGET', rkey, 'id') or '' }
  end
  if redis.call('EXISTS', rkey) == 0 then return nil end
  local reply = receiptReply(rkey)
  table.insert(reply, 1, 'existing')
  return reply
end

-- A new receipt's number: the day (YYMMDD, Vietnam time, given by the caller) and the day's count.
local function newNumber(counterKey, numbersKey, day, token, ttlMs)
  local n = redis.call('INCR', counterKey)
  redis.call('PEXPIRE', counterKey, 2 * 86400000)
  local number = day .. '-' .. string.format('%06d', n)
  redis.call('HSET', numbersKey, number, token)
  redis.call('PEXPIRE', numbersKey, ttlMs + 86400000)
  return number
end

-- Creates the consumer group (and the stream) when the stream does not exist yet.
local function ensureGroup(stream, group)
  if redis.call('EXISTS', stream) == 0 then
    redis.call('XGROUP', 'CREATE', stream, group, '0', 'MKSTREAM')
  end
end

-- Lets go of a receipt's idempotency key when it still names this receipt (a failed or dropped
-- submission may be sent again, corrected or not).
local function freeKey(receiptKey, token)
  local kname, fp = unpack(redis.call('HMGET', receiptKey, 'kname', 'fp'))
  if kname and fp and redis.call('GET', kname) == fp .. '|' .. token then redis.call('DEL', kname) end
end

-- A submission that failed for good: in the dead letters, its key free, its life counted from now.
local function markFailed(receiptKey, deadKey, token, now, reason, problem)
  redis.call('HSET', receiptKey, 'state', 'failed', 'failure', reason, 'problem', problem, 'updatedAt', now)
  redis.call('ZADD', deadKey, now, token)
  freeKey(receiptKey, token)
  local ttl = tonumber(redis.call('HGET', receiptKey, 'ttl'))
  if ttl then redis.call('PEXPIRE', receiptKey, ttl) end
end

-- The bytes a stream entry counts against its room's budget: its 'sz' field (0 for an entry
-- written before there was a budget, which was never counted either).
local function entrySize(entryFields)
  for i = 1, #entryFields, 2 do
    if entryFields[i] == 'sz' then return tonumber(entryFields[i + 1]) or 0 end
  end
  return 0
end

-- Takes `size` bytes off the room's count once their entry left the stream: never below 0, and
-- back to 0 (the key deleted) once the stream is empty, so the count cannot drift for good.
local function releaseBytes(bytesKey, stream, size)
  if redis.call('XLEN', stream) == 0 then
    redis.call('DEL', bytesKey)
  elseif size > 0 and redis.call('DECRBY', bytesKey, size) < 0 then
    redis.call('DEL', bytesKey)
  end
end
