--[[
  end: the origin ended a visitor's session (Sanh-Session: end). Frees the slot at once and lets
  the line move (as release.lua), forgets the session's binding, and lists every pass of the
  visitor as ended for as long as one can still be valid, so every instance refuses them from its
  next sync (and an instance starting up loads the list). The list is a stream trimmed by age
  and expires with its last entry.
  KEYS/ARGV[1..9]: as in includes/room.lua.  KEYS[6] bindings hash  KEYS[7] ended stream
  ARGV[10] visitor id  ARGV[11] how long the ended passes stay listed (ms: their remaining lifetime).
  Returns: 1 if a slot was freed, else 0.
  Mirrors: `endSession` of createMemoryWaitingRoomStore in src/waiting-room/memory-store.ts (over `release` in src/waiting-room/core.ts)
]]
-- @include room
local limits = readLimits()
local now = nowMs()
local freed = redis.call('ZREM', KEYS[2], ARGV[10])
redis.call('HDEL', KEYS[6], ARGV[10])
local room = settle(limits, now)
saveRoom(room)
local keep = tonumber(ARGV[11])
redis.call('XADD', KEYS[7], 'MINID', '~', int(now - keep), '*', 'v', ARGV[10], 'g', '*', 'u', int(now + keep))
if redis.call('PTTL', KEYS[7]) < keep then redis.call('PEXPIRE', KEYS[7], keep) end
return freed
