--[[
  Replaces sealed values by others of the same plaintext (key rotation), each only if unchanged.
  KEYS[1] fields
  ARGV[1] n, then n triples: name, from, to
  Returns how many were replaced.
  Mirrors: `reseal` of createMemoryDraftStore in src/drafts/memory-store.ts
]]
local replaced = 0
for i = 0, tonumber(ARGV[1]) - 1 do
  local at = 2 + i * 3
  if redis.call('HGET', KEYS[1], ARGV[at]) == ARGV[at + 1] then
    redis.call('HSET', KEYS[1], ARGV[at], ARGV[at + 2])
    replaced = replaced + 1
  end
end
return replaced
