--[[
  tick: advances the line (frees idle slots and no-shows, refills tokens, calls tickets) and reads
  the room for the status snapshot.
  KEYS/ARGV: as in includes/room.lua.
  Returns: { epoch, frontier, nextTicket, active, tokens (string), admittedTotal, nowMs, abandonedTotal, returned,
    resumedAt (ms, 0 unless the line was resumed within the last idle period) }
  Mirrors: `tick` in src/waiting-room/core.ts
]]
-- @include room
local limits = readLimits()
local now = nowMs()
local room = settle(limits, now)
saveRoom(room)
return { room.epoch, room.frontier, room.nextTicket, room.active, string.format('%.17g', room.tokens), room.admittedTotal, now, room.abandonedTotal,
  redis.call('ZCARD', KEYS[5]), recentlyRestored(room, limits, now) and room.restoredAt or 0 }
