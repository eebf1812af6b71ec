-- binary-trees: many short-lived trees of two-element tables, built and walked recursively.
local function make(depth)
  if depth == 0 then return {false, false} end
  return {make(depth - 1), make(depth - 1)}
end

local function check(t)
  if not t[1] then return 1 end
  return 1 + check(t[1]) + check(t[2])
end

local function main()
  local maxdepth = 12
  local out = {}
  local long = make(maxdepth)
  local d = 4
  while d <= maxdepth do
    local iterations = 2 ^ (maxdepth - d + 4) // 1 | 0
    local c = 0
    for i = 1, iterations do c = c + check(make(d)) end
    out[#out + 1] = iterations .. ":" .. d .. ":" .. c
    d = d + 2
  end
  out[#out + 1] = "long:" .. check(long)
  return table.concat(out, " ")
end
