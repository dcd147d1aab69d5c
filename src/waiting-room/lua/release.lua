--[[
  release: frees a visitor's slot at once (the origin ended the session) and lets the line move.
  KEYS/ARGV[1..9]: as in includes/room.lua.  ARGV[10] visitor id.
  Returns: 1 if a slot was freed, else 0.
  Mirrors: `release` in src/waiting-room/core.ts
]]
-- @include room
local limits = readLimits()
local now = nowMs()
local freed = redis.call('ZREM', KEYS[2], ARGV[10])
local room = settle(limits, now)
saveRoom(room)
return freed
