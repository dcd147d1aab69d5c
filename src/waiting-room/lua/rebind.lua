--[[
  rebind: binds a visitor's session to a new client (their pass came from another network or
  browser family). Allowed only while the session holds a slot and the pass presented is of the
  recorded generation (any generation when no binding is recorded: sessions admitted before
  bindings, or whose record lapsed); the session's generation goes up by one and the passes of
  lower generations are listed as ended, so every instance refuses them from its next sync.
  An older pass from the client already recorded (its other requests in flight when it changed
  network) gets the recorded generation back, changing nothing.
  KEYS/ARGV[1..9]: as in includes/room.lua.  KEYS[6] bindings hash  KEYS[7] ended stream
  ARGV[10] visitor id  ARGV[11] the presented pass's generation  ARGV[12] the new binding
  ARGV[13] how long the superseded passes stay listed (ms: their remaining lifetime).
  Returns: { 1, generation } rebound (or already bound to this client) | { 0 } refused
  Mirrors: `rebind` of createMemoryWaitingRoomStore in src/waiting-room/memory-store.ts
]]
-- @include room
local limits = readLimits()
local now = nowMs()
local room = settle(limits, now)
saveRoom(room)
local visitorId = ARGV[10]
local presented = tonumber(ARGV[11])
if not redis.call('ZSCORE', KEYS[2], visitorId) then return { 0 } end
local known = redis.call('HGET', KEYS[6], visitorId)
local redeemedAt = int(now)
if known then
  local first = string.find(known, '|', 1, true)
  local second = string.find(known, '|', first + 1, true)
  redeemedAt = string.sub(known, first + 1, second - 1)
  local current = tonumber(string.sub(known, second + 1))
  if current > presented and string.sub(known, 1, first - 1) == ARGV[12] then return { 1, current } end
  if current ~= presented then return { 0 } end
end
local generation = presented + 1
redis.call('ZADD', KEYS[2], int(now + limits.idleMs), visitorId)
redis.call('HSET', KEYS[6], visitorId, ARGV[12] .. '|' .. redeemedAt .. '|' .. int(generation))
redis.call('PEXPIRE', KEYS[6], int(limits.idleMs * 2 + 30000))
local keep = tonumber(ARGV[13])
redis.call('XADD', KEYS[7], 'MINID', '~', int(now - keep), '*', 'v', visitorId, 'g', int(generation), 'u', int(now + keep))
if redis.call('PTTL', KEYS[7]) < keep then redis.call('PEXPIRE', KEYS[7], keep) end
return { 1, generation }
