--[[
  adopt: takes in sessions an instance admitted on its own while Redis was unreachable, so their
  passes keep working; they count against maxActive from now on.
  KEYS/ARGV[1..9]: as in includes/room.lua.  ARGV[10..] visitor ids.
  Returns: the number of sessions added.
  Mirrors: `adopt` in src/waiting-room/core.ts
]]
-- @include room
local limits = readLimits()
local now = nowMs()
local room = settle(limits, now)
saveRoom(room)
local sessionUntil = int(now + limits.idleMs)
local added = 0
for i = 10, #ARGV do
  added = added + redis.call('ZADD', KEYS[2], 'NX', sessionUntil, ARGV[i])
end
return added
