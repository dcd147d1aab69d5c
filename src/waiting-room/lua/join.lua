--[[
  join: a visitor without a pass arrives. Admitted at once when a slot and a token are free and
  nobody is waiting (never in queue-all or while paused); otherwise given the next ticket. While
  people wait, a newcomer cannot be admitted, so the ticket is taken without settling the room
  (the line advances on every tick and claim): three commands instead of a full settle, which
  keeps joins cheap during a surge. Every ticket starts "seen" now (abandonment detection).
  KEYS/ARGV[1..9]: as in includes/room.lua.  ARGV[10] visitor id.
  Returns: { 1, epoch } admitted | { 2, epoch, ticket, position } queued
  Mirrors: `join` in src/waiting-room/core.ts
]]
-- @include room
local line = redis.call('HMGET', KEYS[1], 'epoch', 'nextTicket', 'frontier')
if line[1] then
  local nextTicket = tonumber(line[2])
  local frontier = tonumber(line[3])
  if ARGV[9] == '1' or nextTicket - 1 - frontier > 0 then
    redis.call('HSET', KEYS[1], 'nextTicket', int(nextTicket + 1))
    setSeen(nextTicket, math.floor(nowMs() / 1000))
    return { 2, line[1], nextTicket, math.max(1, nextTicket - frontier) }
  end
end
local limits = readLimits()
local now = nowMs()
local room = settle(limits, now)
local visitorId = ARGV[10]
if not limits.queueAll and room.nextTicket - 1 - room.frontier == 0 and canAdmitNow(room, limits) then
  admit(room, limits, now, visitorId)
  saveRoom(room)
  return { 1, room.epoch }
end
local ticket = takeTicket(room, now)
if not limits.queueAll then advance(room, limits, now) end
saveRoom(room)
local position = 0
if ticket > room.frontier then position = ticket - room.frontier end
return { 2, room.epoch, ticket, position }
