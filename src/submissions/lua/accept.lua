--[[
  Keeps a submission unless its idempotency key is known, in one step.
  KEYS[1] stream  KEYS[2] receipt  KEYS[3] idempotency key  KEYS[4] day counter  KEYS[5] day numbers
  KEYS[6] the client's count for this minute (ignored without ARGV[14])
  ARGV[1] group  ARGV[2] receipt key prefix  ARGV[3] token  ARGV[4] receipt id  ARGV[5] room
  ARGV[6] day (YYMMDD)  ARGV[7] sealed request  ARGV[8] fingerprint  ARGV[9] key ttl ms
  ARGV[10] receipt ttl ms  ARGV[11] deadline ms (after now)
  ARGV[12] '1' when the caller holds the key itself (a straight attempt turned into a deferred one)
  ARGV[13] most undelivered submissions the room may hold ('' no limit)
  ARGV[14] new submissions the client may send a minute ('' no limit)
  The receipt has no expiry while its submission waits in the stream: its life (ARGV[10]) starts
  when it is settled for good, so nothing acknowledged expires before it is delivered.
  Returns { 'accepted', fields... } | { 'existing', fields... } | { 'mismatch', receiptId|'' } | { 'in-progress' }
  | { 'full' } | { 'limited', ms until the minute ends }
]]
-- @include submission
local known = knownKey(KEYS[3], ARGV[8], ARGV[2])
if known and not (ARGV[12] == '1' and known[1] == 'in-progress') then return known end
if ARGV[13] ~= '' and redis.call('XLEN', KEYS[1]) >= tonumber(ARGV[13]) then return { 'full' } end
if ARGV[14] ~= '' then
  local count = redis.call('INCR', KEYS[6])
  if count == 1 then redis.call('PEXPIRE', KEYS[6], 60000) end
  if count > tonumber(ARGV[14]) then return { 'limited', math.max(1, redis.call('PTTL', KEYS[6])) } end
end
local now = nowMs()
local ttl = tonumber(ARGV[10])
local number = newNumber(KEYS[4], KEYS[5], ARGV[6], ARGV[3], ttl)
redis.call('HSET', KEYS[2], 'id', ARGV[4], 'room', ARGV[5], 'number', number, 'state', 'accepted', 'acceptedAt', now,
  'updatedAt', now, 'attempts', 0, 'deadlineAt', now + tonumber(ARGV[11]), 'hasAnswer', 0, 'ttl', ttl, 'req', ARGV[7],
  'kname', KEYS[3], 'fp', ARGV[8], 'kttl', ARGV[9])
redis.call('SET', KEYS[3], ARGV[8] .. '|' .. ARGV[3], 'PX', ARGV[9])
ensureGroup(KEYS[1], ARGV[1])
redis.call('XADD', KEYS[1], '*', 'r', ARGV[3])
local reply = receiptReply(KEYS[2])
table.insert(reply, 1, 'accepted')
return reply
