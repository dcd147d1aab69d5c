--[[
  Shared by the drafts' quota scripts (inlined at "-- @include quota"). Their keys share the hash
  tag {draft-quota}:
    KEYS[1] total     string: the charges of every counted draft together
    KEYS[2] charges   hash: draft id -> charge (bytes)
    KEYS[3] expiry    sorted set: draft id by expiry (ms)
    KEYS[4] creators  hash: draft id -> creator
  ARGV[1] is always the creators' key base: a creator's sorted set (draft id by expiry) is
  ARGV[1] .. creator, on the same slot. The clock is Redis TIME.
  Mirrors: the quota counting of createMemoryDraftStore in src/drafts/memory-store.ts (`drop`, `sweep`, `usedBytes`)
]]
local function quotaNow()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function total()
  return tonumber(redis.call('GET', KEYS[1]) or '0')
end

-- Stops counting a draft.
local function forget(id)
  local charge = redis.call('HGET', KEYS[2], id)
  if charge then redis.call('DECRBY', KEYS[1], charge) end
  local creator = redis.call('HGET', KEYS[4], id)
  if creator then redis.call('ZREM', ARGV[1] .. creator, id) end
  redis.call('HDEL', KEYS[2], id)
  redis.call('HDEL', KEYS[4], id)
  redis.call('ZREM', KEYS[3], id)
end

-- Stops counting drafts that expired (at most 1000 a call, so a call stays short).
local function prune(now)
  local gone = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now, 'LIMIT', 0, 1000)
  for _, id in ipairs(gone) do forget(id) end
end
