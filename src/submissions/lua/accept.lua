--[[
  Keeps a submission unless its idempotency key is known, in one step.
  KEYS[1] stream  KEYS[2] receipt  KEYS[3] idempotency key  KEYS[4] day counter  KEYS[5] day numbers
  KEYS[6] the first rate limit's count for this minute (ignored when ARGV[14] is '')
  KEYS[7] the second rate limit's count for this minute (ignored when ARGV[15] is '')
  KEYS[8] the bytes of the room's entries in the stream
  ARGV[1] group  ARGV[2] receipt key prefix  ARGV[3] token  ARGV[4] receipt id  ARGV[5] room
  ARGV[6] day (YYMMDD)  ARGV[7] sealed request  ARGV[8] fingerprint  ARGV[9] key ttl ms
  ARGV[10] receipt ttl ms  ARGV[11] deadline ms (after now)
  ARGV[12] '1' when the caller holds the key itself (a straight attempt turned into a deferred one)
  ARGV[13] most undelivered submissions the room may hold ('' no limit)
  ARGV[14] ARGV[15] new submissions a minute the first and second rate limits allow ('' none)
  ARGV[16] most bytes the room's undelivered submissions may take ('' no limit)
  ARGV[17] the bytes this submission counts (its sealed request and the overhead)
  The receipt has no expiry while its submission waits in the stream: its life (ARGV[10]) starts
  when it is settled for good, so nothing acknowledged expires before it is delivered. A refused
  submission (full, limited) changes nothing, and counts for no rate limit.
  Returns { 'accepted', fields... } | { 'existing', fields... } | { 'mismatch', receiptId|'' } | { 'in-progress' }
  | { 'full', 'count'|'bytes' } | { 'limited', ms until every reached limit's minute ends }
  Mirrors: `accept` (with `knownKey`, `fullBy`, `rateCheck`) in src/submissions/state.ts
]]
-- @include submission
local known = knownKey(KEYS[3], ARGV[8], ARGV[2])
if known and not (ARGV[12] == '1' and known[1] == 'in-progress') then return known end
local length = redis.call('XLEN', KEYS[1])
if ARGV[13] ~= '' and length >= tonumber(ARGV[13]) then return { 'full', 'count' } end
local size = tonumber(ARGV[17])
if length == 0 then redis.call('DEL', KEYS[8]) end
if ARGV[16] ~= '' and (tonumber(redis.call('GET', KEYS[8])) or 0) + size > tonumber(ARGV[16]) then return { 'full', 'bytes' } end
local limits = { { KEYS[6], ARGV[14] }, { KEYS[7], ARGV[15] } }
local wait = 0
for _, limit in ipairs(limits) do
  if limit[2] ~= '' and (tonumber(redis.call('GET', limit[1])) or 0) >= tonumber(limit[2]) then
    local ttl = redis.call('PTTL', limit[1])
    if ttl < 0 then
      redis.call('PEXPIRE', limit[1], 60000)
      ttl = 60000
    end
    wait = math.max(wait, ttl)
  end
end
if wait > 0 then return { 'limited', math.max(1, wait) } end
for _, limit in ipairs(limits) do
  if limit[2] ~= '' and redis.call('INCR', limit[1]) == 1 then redis.call('PEXPIRE', limit[1], 60000) end
end
local now = nowMs()
local ttl = tonumber(ARGV[10])
local number = newNumber(KEYS[4], KEYS[5], ARGV[6], ARGV[3], ttl)
redis.call('HSET', KEYS[2], 'id', ARGV[4], 'room', ARGV[5], 'number', number, 'state', 'accepted', 'acceptedAt', now,
  'updatedAt', now, 'attempts', 0, 'deadlineAt', now + tonumber(ARGV[11]), 'hasAnswer', 0, 'ttl', ttl, 'req', ARGV[7],
  'kname', KEYS[3], 'fp', ARGV[8], 'kttl', ARGV[9])
redis.call('SET', KEYS[3], ARGV[8] .. '|' .. ARGV[3], 'PX', ARGV[9])
ensureGroup(KEYS[1], ARGV[1])
redis.call('XADD', KEYS[1], '*', 'r', ARGV[3], 'sz', size)
redis.call('INCRBY', KEYS[8], size)
local reply = receiptReply(KEYS[2])
table.insert(reply, 1, 'accepted')
return reply
