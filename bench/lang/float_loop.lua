-- A float accumulator in a 3-million-iteration loop.
local function main()
  local s = 0.0
  for i = 0, 2999999 do s = s + i * 0.5 end
  return string.format("%.1f", s)
end
