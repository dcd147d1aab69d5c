--[[
  Shared by every waiting-room script (inlined by the script loader at "-- @include room").

  KEYS[1] state hash   {epoch, nextTicket, frontier, tokens, refilledAt, admittedTotal}
  KEYS[2] active zset  member -> expiry ms (visitor ids = sessions, "t:<n>" = reserved slots)
  KEYS[3] lapsed zset  "t:<n>" -> when the reservation lapsed (ms)
  KEYS[4] seen string  BITFIELD of u32 per ticket number: last seen (s), 1 = skipped, 2 = used
  KEYS[5] returned zset "t:<n>" -> when a skipped or lapsed ticket's holder came back (ms)
  ARGV[1] maxActive  ARGV[2] admitPerMinute  ARGV[3] admitBurst
  ARGV[4] sessionIdleMs  ARGV[5] noShowMs
  ARGV[6] the line to start if the room is new: "<epoch>" for a fresh line, or
          "<epoch>|<frontier>|<nextTicket>" to resume the line this instance last saw (Redis came
          back without its data: the old tickets keep their places)
  ARGV[7] abandonAfterMs  ARGV[8] admitting (1/0)  ARGV[9] queueAll (1/0)
  Script arguments start at ARGV[10]. The clock is Redis TIME, never the caller's.
  Mirrors: src/waiting-room/core.ts (`newRoomState`, `settle`, `snapshotOf` and the private `advance`, `admit`, `canAdmitNow`, `takeTicket`); the store contract suite holds both to the same behaviour.
]]
local function nowMs()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function readLimits()
  return {
    maxActive = tonumber(ARGV[1]),
    perMinute = tonumber(ARGV[2]),
    burst = tonumber(ARGV[3]),
    idleMs = tonumber(ARGV[4]),
    noShowMs = tonumber(ARGV[5]),
    abandonMs = tonumber(ARGV[7]),
    admitting = ARGV[8] == '1',
    queueAll = ARGV[9] == '1',
  }
end

local SKIPPED = 1
local USED = 2
local MAX_SKIPS = 1000

local function getSeen(ticket)
  return redis.call('BITFIELD', KEYS[4], 'GET', 'u32', '#' .. ticket)[1]
end

local function setSeen(ticket, value)
  redis.call('BITFIELD', KEYS[4], 'SET', 'u32', '#' .. ticket, value)
end

local function int(n)
  return string.format('%d', n)
end

local function loadRoom(limits, now)
  local s = redis.call('HMGET', KEYS[1], 'epoch', 'nextTicket', 'frontier', 'tokens', 'refilledAt', 'admittedTotal',
    'abandonedTotal', 'restoredAt')
  if not s[1] then
    local epoch, frontier, nextTicket = string.match(ARGV[6], '^([^|]+)|(%d+)|(%d+)$')
    if epoch then
      return { epoch = epoch, nextTicket = tonumber(nextTicket), frontier = tonumber(frontier), tokens = limits.burst,
        refilledAt = now, admittedTotal = 0, abandonedTotal = 0, restoredAt = now }
    end
    return { epoch = ARGV[6], nextTicket = 1, frontier = 0, tokens = limits.burst, refilledAt = now, admittedTotal = 0,
      abandonedTotal = 0 }
  end
  return {
    epoch = s[1],
    nextTicket = tonumber(s[2]),
    frontier = tonumber(s[3]),
    tokens = tonumber(s[4]),
    refilledAt = tonumber(s[5]),
    admittedTotal = tonumber(s[6]),
    abandonedTotal = tonumber(s[7] or '0'),
    restoredAt = tonumber(s[8]),
  }
end

-- True for a room resumed from an instance's memory within the last idle period: sessions and
-- tickets it does not know may be genuine (their signed tokens say so) and are taken back in.
local function recentlyRestored(room, limits, now)
  return room.restoredAt ~= nil and now - room.restoredAt < limits.idleMs
end

local function saveRoom(room)
  redis.call('HSET', KEYS[1], 'epoch', room.epoch, 'nextTicket', int(room.nextTicket), 'frontier', int(room.frontier),
    'tokens', string.format('%.17g', room.tokens), 'refilledAt', int(room.refilledAt),
    'admittedTotal', int(room.admittedTotal), 'abandonedTotal', int(room.abandonedTotal))
  if room.restoredAt then redis.call('HSET', KEYS[1], 'restoredAt', int(room.restoredAt)) end
end

local function reserve(room, member, reservedUntil)
  redis.call('ZADD', KEYS[2], reservedUntil, member)
  room.tokens = room.tokens - 1
  room.admittedTotal = room.admittedTotal + 1
  room.active = room.active + 1
end

-- After a line is resumed, nobody is called for a few seconds: each instance sends its admitted
-- visitors' sessions back first (it flushes as soon as its tick sees the resume), so the free
-- slots are counted right.
local RESUME_GRACE_MS = 3000

local function advance(room, limits, now)
  if not limits.admitting then return end
  if room.restoredAt and now - room.restoredAt < RESUME_GRACE_MS then return end
  local budget = math.min(math.floor(room.tokens), limits.maxActive - room.active)
  if budget <= 0 then return end
  local reservedUntil = int(now + limits.noShowMs)
  local returning = redis.call('ZRANGE', KEYS[5], 0, budget - 1)
  for _, member in ipairs(returning) do
    redis.call('ZREM', KEYS[5], member)
    reserve(room, member, reservedUntil)
    budget = budget - 1
  end
  local abandonedBefore = (now - limits.abandonMs) / 1000
  local skips = 0
  while budget > 0 and room.frontier < room.nextTicket - 1 and skips < MAX_SKIPS do
    local ticket = room.frontier + 1
    room.frontier = ticket
    local seen = getSeen(ticket)
    if seen > USED and seen <= abandonedBefore then
      setSeen(ticket, SKIPPED)
      room.abandonedTotal = room.abandonedTotal + 1
      skips = skips + 1
    else
      if seen > USED then setSeen(ticket, 0) end
      reserve(room, 't:' .. int(ticket), reservedUntil)
      budget = budget - 1
    end
  end
end

local function takeTicket(room, now)
  local ticket = room.nextTicket
  room.nextTicket = ticket + 1
  setSeen(ticket, math.floor(now / 1000))
  return ticket
end

local function settle(limits, now)
  local room = loadRoom(limits, now)
  local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now)
  if #expired > 0 then
    for _, member in ipairs(expired) do
      if string.sub(member, 1, 2) == 't:' then redis.call('ZADD', KEYS[3], int(now), member) end
    end
    redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
  end
  redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now - limits.idleMs)
  local elapsed = math.max(0, now - room.refilledAt)
  room.tokens = math.min(limits.burst, room.tokens + elapsed * limits.perMinute / 60000)
  room.refilledAt = now
  room.active = redis.call('ZCARD', KEYS[2])
  advance(room, limits, now)
  return room
end

local function admit(room, limits, now, visitorId)
  room.tokens = room.tokens - 1
  room.admittedTotal = room.admittedTotal + 1
  room.active = room.active + 1
  redis.call('ZADD', KEYS[2], int(now + limits.idleMs), visitorId)
end

local function canAdmitNow(room, limits)
  return limits.admitting and room.active < limits.maxActive and room.tokens >= 1
end
