--[[
  Changes a draft's fields when the caller's base revision is the current one.
  KEYS[1] meta  KEYS[2] fields  KEYS[3] sizes  KEYS[4] owners  KEYS[5] uploads
  ARGV[1] owner hash  ARGV[2] base revision  ARGV[3] replace (1/0)  ARGV[4] ttlMs
  ARGV[5] maxBytes  ARGV[6] maxFields  ARGV[7] n, then n triples: name, sealed ('' deletes), bytes
  Returns { 'ok', refreshLocator (1/0), meta... } | { 'missing' } | { 'stale', revision }
        | { 'too-large', bytes } | { 'too-many-fields', count }
]]
-- @include draft
if redis.call('EXISTS', KEYS[1]) == 0 or not isOwner(KEYS[4], ARGV[1]) then return { 'missing' } end
local rev = tonumber(redis.call('HGET', KEYS[1], 'rev'))
if rev ~= tonumber(ARGV[2]) then return { 'stale', rev } end
local replace = ARGV[3] == '1'
local n = tonumber(ARGV[7])
local bytes, count = 0, 0
if not replace then
  bytes = tonumber(redis.call('HGET', KEYS[1], 'bytes'))
  count = redis.call('HLEN', KEYS[2])
end
for i = 0, n - 1 do
  local at = 8 + i * 3
  local old = replace and false or redis.call('HGET', KEYS[3], ARGV[at])
  if old then
    bytes = bytes - tonumber(old)
    count = count - 1
  end
  if ARGV[at + 1] ~= '' then
    bytes = bytes + tonumber(ARGV[at + 2])
    count = count + 1
  end
end
if count > tonumber(ARGV[6]) then return { 'too-many-fields', count } end
if bytes > tonumber(ARGV[5]) then return { 'too-large', bytes } end
if replace then redis.call('DEL', KEYS[2], KEYS[3]) end
for i = 0, n - 1 do
  local at = 8 + i * 3
  if ARGV[at + 1] == '' then
    redis.call('HDEL', KEYS[2], ARGV[at])
    redis.call('HDEL', KEYS[3], ARGV[at])
  else
    redis.call('HSET', KEYS[2], ARGV[at], ARGV[at + 1])
    redis.call('HSET', KEYS[3], ARGV[at], ARGV[at + 2])
  end
end
local now = nowMs()
local ttl = tonumber(ARGV[4])
local expires = now + ttl
redis.call('HSET', KEYS[1], 'rev', rev + 1, 'updated', now, 'expires', expires, 'bytes', bytes)
local refresh = 0
if now - tonumber(redis.call('HGET', KEYS[1], 'locref')) >= ttl / 4 then
  redis.call('HSET', KEYS[1], 'locref', now)
  refresh = 1
end
expireAll(KEYS, expires)
local reply = metaReply(KEYS[1], KEYS[2])
table.insert(reply, 1, refresh)
table.insert(reply, 1, 'ok')
return reply
