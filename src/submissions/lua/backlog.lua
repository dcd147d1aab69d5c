--[[
  Counts a room's submissions that are not delivered yet, and says how long the oldest still in
  the stream has been there (ms: Redis TIME now less its entry id's milliseconds, Redis TIME at
  XADD; an age, so the caller can place it on its own clock).
  KEYS[1] stream  KEYS[2] dead letters
  ARGV[1] group
  Returns { waiting, delivering, retrying, dead, oldest's age in ms ('' when the stream is empty) }
  Mirrors: `backlog` in src/submissions/state.ts
]]
local dead = redis.call('ZCARD', KEYS[2])
if redis.call('EXISTS', KEYS[1]) == 0 then return { 0, 0, 0, dead, '' } end
local length = redis.call('XLEN', KEYS[1])
local first = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 1)[1]
local oldest = ''
if first then
  local time = redis.call('TIME')
  local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
  oldest = math.max(0, now - tonumber(string.match(first[1], '^(%d+)-')))
end
local summary = redis.pcall('XPENDING', KEYS[1], ARGV[1])
if type(summary) == 'table' and summary.err then return { length, 0, 0, dead, oldest } end
local pending = tonumber(summary[1]) or 0
local retrying = 0
if summary[4] then
  for _, owner in ipairs(summary[4]) do
    if owner[1] == '~retry' then retrying = tonumber(owner[2]) end
  end
end
return { length - pending, pending - retrying, retrying, dead, oldest }
