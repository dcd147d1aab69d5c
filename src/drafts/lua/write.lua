--[[
  Changes a draft's fields when the caller's base revision is the current one.
  KEYS[1] meta  KEYS[2] fields  KEYS[3] sizes  KEYS[4] owners  KEYS[5] uploads
  ARGV[1] owner hash  ARGV[2] base revision  ARGV[3] replace (1/0)  ARGV[4] ttlMs
  ARGV[5] maxBytes  ARGV[6] maxFields
  ARGV[7] bytes the counted drafts take ('' = no budget)  ARGV[8] the budget (bytes)
  ARGV[9] n, then n triples: name, sealed ('' deletes), bytes
  Returns { 'ok', refreshLocator (1/0), revision, updated, expires, bytes, fieldCount, locator, bytes before }
        | { 'missing' } | { 'stale', revision }
        | { 'too-large', bytes } | { 'too-many-fields', count } | { 'over-budget', used }
  Mirrors: `applyChange` in src/drafts/core.ts (through `write` of createMemoryDraftStore in src/drafts/memory-store.ts)
]]
-- @include draft
if redis.call('EXISTS', KEYS[1]) == 0 or not isOwner(KEYS[4], ARGV[1]) then return { 'missing' } end
local rev = tonumber(redis.call('HGET', KEYS[1], 'rev'))
if rev ~= tonumber(ARGV[2]) then return { 'stale', rev } end
local replace = ARGV[3] == '1'
local n = tonumber(ARGV[9])
local bytes, count = 0, 0
local names, sets, sizes, deletes = {}, {}, {}, {}
for i = 0, n - 1 do
  local at = 10 + i * 3
  names[#names + 1] = ARGV[at]
  if ARGV[at + 1] == '' then
    deletes[#deletes + 1] = ARGV[at]
  else
    sets[#sets + 1] = ARGV[at]
    sets[#sets + 1] = ARGV[at + 1]
    sizes[#sizes + 1] = ARGV[at]
    sizes[#sizes + 1] = ARGV[at + 2]
    bytes = bytes + tonumber(ARGV[at + 2])
    count = count + 1
  end
end
local before = tonumber(redis.call('HGET', KEYS[1], 'bytes'))
if not replace then
  bytes = bytes + before
  count = count + redis.call('HLEN', KEYS[2])
  for from = 1, n, 1000 do
    local old = redis.call('HMGET', KEYS[3], unpack(names, from, math.min(from + 999, n)))
    for i = 1, #old do
      if old[i] then
        bytes = bytes - tonumber(old[i])
        count = count - 1
      end
    end
  end
end
if count > tonumber(ARGV[6]) then return { 'too-many-fields', count } end
if bytes > tonumber(ARGV[5]) then return { 'too-large', bytes } end
if ARGV[7] ~= '' and bytes > before and tonumber(ARGV[7]) + bytes - before > tonumber(ARGV[8]) then return { 'over-budget', tonumber(ARGV[7]) } end
if replace then redis.call('DEL', KEYS[2], KEYS[3]) end
inSlices('HDEL', KEYS[2], deletes, 1000)
inSlices('HDEL', KEYS[3], deletes, 1000)
inSlices('HSET', KEYS[2], sets, 1000)
inSlices('HSET', KEYS[3], sizes, 1000)
local now = nowMs()
local ttl = tonumber(ARGV[4])
local expires = now + ttl
local refresh = 0
local m = redis.call('HMGET', KEYS[1], 'locref', 'loc')
if now - tonumber(m[1]) >= ttl / 4 then
  refresh = 1
  redis.call('HSET', KEYS[1], 'rev', rev + 1, 'updated', now, 'expires', expires, 'bytes', bytes, 'locref', now)
else
  redis.call('HSET', KEYS[1], 'rev', rev + 1, 'updated', now, 'expires', expires, 'bytes', bytes)
end
expireAll(KEYS, expires)
return { 'ok', refresh, rev + 1, now, expires, bytes, count, m[2], before }
