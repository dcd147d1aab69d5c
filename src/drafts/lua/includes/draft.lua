--[[
  Shared by every draft script (inlined by the script loader at "-- @include draft").

  A draft's keys share the hash tag {d:<id>}:
    meta hash    form, rev, created, updated, expires, bytes, ret (returnTo), loc (code locator),
                 codeh (code secret hash), code (sealed code), ans (answer hash), fail, locref
    fields hash  name -> sealed value
    sizes hash   name -> plaintext bytes
    owners zset  owner hash -> when bound (ms)
    uploads hash upload id -> upload record (attachments; only given the draft's expiry here)
  The clock is Redis TIME, never the caller's.
  Mirrors: src/drafts/core.ts (`metaOf`, the expiry of `createState`/`applyChange`) and the `live`/`owned` checks of src/drafts/memory-store.ts; the store contract suite holds both to the same behaviour.
]]
local function nowMs()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- The meta as the store port reads it:
-- { rev, created, updated, expires, bytes, fieldCount, form, ret, code, answerSet, loc }
local function metaReply(metaKey, fieldsKey)
  local m = redis.call('HMGET', metaKey, 'rev', 'created', 'updated', 'expires', 'bytes', 'form', 'ret', 'code', 'ans', 'loc')
  return {
    tonumber(m[1]), tonumber(m[2]), tonumber(m[3]), tonumber(m[4]), tonumber(m[5]),
    redis.call('HLEN', fieldsKey), m[6], m[7] or '', m[8], m[9] and 1 or 0, m[10],
  }
end

local function isOwner(ownersKey, ownerHash)
  return redis.call('ZSCORE', ownersKey, ownerHash) ~= false
end

-- Gives every key of the draft the same expiry.
local function expireAll(keys, expiresAt)
  for i = 1, #keys do redis.call('PEXPIREAT', keys[i], expiresAt) end
end

-- Runs `command key ...list` in slices of `step` (a multiple of the pair size for HSET), so a
-- big list never passes Lua's limit on unpacked values.
local function inSlices(command, key, list, step)
  for from = 1, #list, step do
    redis.call(command, key, unpack(list, from, math.min(from + step - 1, #list)))
  end
end
