--[[
  lottery-enter: records a pre-queue entry. The first seed offered is kept; once the lottery is
  drawn, entries are no longer recorded (the caller seats the visitor in the line instead).
  KEYS[1] lottery meta hash {seed, drawn}  KEYS[2] entries list
  ARGV[1] entry  ARGV[2] seed candidate  ARGV[3] seconds to keep the lottery
  Returns: { seed, 1 recorded | 0 not recorded }
  Mirrors: `enterLottery` in src/waiting-room/core.ts
]]
redis.call('HSETNX', KEYS[1], 'seed', ARGV[2])
local recorded = 0
if redis.call('HGET', KEYS[1], 'drawn') ~= '1' then
  redis.call('RPUSH', KEYS[2], ARGV[1])
  recorded = 1
end
redis.call('EXPIRE', KEYS[1], ARGV[3])
redis.call('EXPIRE', KEYS[2], ARGV[3])
return { redis.call('HGET', KEYS[1], 'seed'), recorded }
