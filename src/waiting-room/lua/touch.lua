--[[
  touch: renews the sessions of visitors seen recently.
  KEYS/ARGV[1..9]: as in includes/room.lua.  ARGV[10..] visitor ids.
  Returns: the ids that no longer hold a slot.
]]
-- @include room
local limits = readLimits()
local now = nowMs()
local room = settle(limits, now)
saveRoom(room)
local sessionUntil = int(now + limits.idleMs)
local gone = {}
for i = 10, #ARGV do
  if redis.call('ZADD', KEYS[2], 'XX', 'CH', sessionUntil, ARGV[i]) == 0 and not redis.call('ZSCORE', KEYS[2], ARGV[i]) then
    table.insert(gone, ARGV[i])
  end
end
return gone
