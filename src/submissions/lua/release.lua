--[[
  Releases a held idempotency key (a straight attempt that ended without a receipt).
  KEYS[1] idempotency key
  Returns 1 when a hold was released, else 0.
  Mirrors: `releaseHold` in src/submissions/state.ts
]]
local value = redis.call('GET', KEYS[1])
if value and string.sub(value, 1, 5) == 'hold:' then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
