--[[
  Checks a resume attempt and binds the device as an owner when it is right.
  KEYS[1] meta  KEYS[2] fields  KEYS[3] owners
  ARGV[1] owner hash  ARGV[2] answer policy (off|optional|required)  ARGV[3] maxFailures
  ARGV[4] maxOwners  ARGV[5] lockMs (a locked code opens again this long after the last failure)
  ARGV[6] the number of code hashes c, then c code hashes,
  then the number of answer hashes a, then a answer hashes
  Returns { 'ok', meta... } | { 'missing' } | { 'locked' } | { reason, failures }
  with reason 'wrong-code', 'wrong-answer' or 'answer-not-set'
  Mirrors: `attemptResume` in src/drafts/core.ts (through `resume` of createMemoryDraftStore in src/drafts/memory-store.ts)
]]
-- @include draft
if redis.call('EXISTS', KEYS[1]) == 0 then return { 'missing' } end
local m = redis.call('HMGET', KEYS[1], 'fail', 'codeh', 'ans', 'expires', 'lastfail')
local now = nowMs()
local failures = tonumber(m[1])
if failures >= tonumber(ARGV[3]) then
  if now - tonumber(m[5] or 0) < tonumber(ARGV[5]) then return { 'locked' } end
  failures = 0
end
local c = tonumber(ARGV[6])
local a = tonumber(ARGV[7 + c])
local function listed(value, from, count)
  if not value then return false end
  for i = from, from + count - 1 do
    if ARGV[i] == value then return true end
  end
  return false
end
local function fail(reason)
  redis.call('HSET', KEYS[1], 'fail', failures + 1, 'lastfail', now)
  return { reason, failures + 1 }
end
if not listed(m[2], 7, c) then return fail('wrong-code') end
local policy = ARGV[2]
if policy == 'required' and not m[3] then return fail('answer-not-set') end
if policy ~= 'off' and m[3] and not listed(m[3], 8 + c, a) then return fail('wrong-answer') end
redis.call('HSET', KEYS[1], 'fail', 0)
redis.call('ZADD', KEYS[3], now, ARGV[1])
local extra = redis.call('ZCARD', KEYS[3]) - tonumber(ARGV[4])
if extra > 0 then redis.call('ZREMRANGEBYRANK', KEYS[3], 0, extra - 1) end
redis.call('PEXPIREAT', KEYS[3], tonumber(m[4]))
local reply = metaReply(KEYS[1], KEYS[2])
table.insert(reply, 1, 'ok')
return reply
