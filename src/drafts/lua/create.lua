--[[
  Creates a draft (its locator was reserved by the caller with SET NX).
  KEYS[1] meta  KEYS[2] fields  KEYS[3] sizes  KEYS[4] owners  KEYS[5] uploads
  ARGV[1] formId  ARGV[2] ttlMs  ARGV[3] returnTo ('' = none)  ARGV[4] locator
  ARGV[5] code secret hash  ARGV[6] sealed code  ARGV[7] owner hash
  ARGV[8] maxBytes  ARGV[9] maxFields  ARGV[10] n, then n triples: name, sealed, bytes
  Returns { 'created', meta... } | { 'too-large' } | { 'too-many-fields' }
  Mirrors: `createState` in src/drafts/core.ts (through `create` of createMemoryDraftStore in src/drafts/memory-store.ts)
]]
-- @include draft
local n = tonumber(ARGV[10])
local bytes = 0
for i = 0, n - 1 do bytes = bytes + tonumber(ARGV[13 + i * 3]) end
if n > tonumber(ARGV[9]) then return { 'too-many-fields' } end
if bytes > tonumber(ARGV[8]) then return { 'too-large' } end
local now = nowMs()
local expires = now + tonumber(ARGV[2])
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5])
redis.call('HSET', KEYS[1], 'form', ARGV[1], 'rev', 1, 'created', now, 'updated', now, 'expires', expires,
  'bytes', bytes, 'loc', ARGV[4], 'codeh', ARGV[5], 'code', ARGV[6], 'fail', 0, 'locref', now)
if ARGV[3] ~= '' then redis.call('HSET', KEYS[1], 'ret', ARGV[3]) end
for i = 0, n - 1 do
  local at = 11 + i * 3
  redis.call('HSET', KEYS[2], ARGV[at], ARGV[at + 1])
  redis.call('HSET', KEYS[3], ARGV[at], ARGV[at + 2])
end
redis.call('ZADD', KEYS[4], now, ARGV[7])
expireAll(KEYS, expires)
local reply = metaReply(KEYS[1], KEYS[2])
table.insert(reply, 1, 'created')
return reply
