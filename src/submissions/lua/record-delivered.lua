--[[
  A submission that went straight through and was answered: a delivered receipt bound to its key.
  KEYS[1] receipt  KEYS[2] idempotency key  KEYS[3] day counter  KEYS[4] day numbers
  ARGV[1] token  ARGV[2] receipt id  ARGV[3] room  ARGV[4] day  ARGV[5] sealed request
  ARGV[6] fingerprint  ARGV[7] key ttl ms  ARGV[8] receipt ttl ms  ARGV[9] origin status
  ARGV[10] application number ('' none)  ARGV[11] sealed answer ('' none)
  Returns the receipt's fields.
  Mirrors: `recordDelivered` in src/submissions/state.ts
]]
-- @include submission
local now = nowMs()
local ttl = tonumber(ARGV[8])
local number = newNumber(KEYS[3], KEYS[4], ARGV[4], ARGV[1], ttl)
redis.call('HSET', KEYS[1], 'id', ARGV[2], 'room', ARGV[3], 'number', number, 'state', 'delivered', 'acceptedAt', now,
  'updatedAt', now, 'attempts', 1, 'deadlineAt', now, 'deliveredAt', now, 'originStatus', ARGV[9],
  'hasAnswer', ARGV[11] == '' and 0 or 1, 'ttl', ttl, 'kname', KEYS[2], 'fp', ARGV[6])
if ARGV[10] ~= '' then redis.call('HSET', KEYS[1], 'applicationNumber', ARGV[10]) end
if ARGV[11] ~= '' then redis.call('HSET', KEYS[1], 'ans', ARGV[11]) end
redis.call('PEXPIRE', KEYS[1], ttl)
redis.call('SET', KEYS[2], ARGV[6] .. '|' .. ARGV[1], 'PX', ARGV[7])
return receiptReply(KEYS[1])
