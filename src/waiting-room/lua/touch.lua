--[[
  touch: renews the sessions of visitors seen recently.
  KEYS/ARGV[1..9]: as in includes/room.lua.  ARGV[10..] visitor ids.
  Within an idle period of a resumed line (Redis lost its data), unknown sessions are taken back in.
  Returns: the ids that no longer hold a slot.
  Mirrors: `touch` in src/waiting-room/core.ts
]]
-- @include room
local limits = readLimits()
local now = nowMs()
local room = settle(limits, now)
saveRoom(room)
local sessionUntil = int(now + limits.idleMs)
local gone = {}
local restored = recentlyRestored(room, limits, now)
for i = 10, #ARGV do
  if restored then
    redis.call('ZADD', KEYS[2], sessionUntil, ARGV[i])
  elseif redis.call('ZADD', KEYS[2], 'XX', 'CH', sessionUntil, ARGV[i]) == 0 and not redis.call('ZSCORE', KEYS[2], ARGV[i]) then
    table.insert(gone, ARGV[i])
  end
end
return gone
