-- A list built by appends, then map, filter and counting into a table.
local function map(f, t) local r = {} for i = 1, #t do r[i] = f(t[i]) end return r end
local function filter(f, t) local r = {} for i = 1, #t do if f(t[i]) then r[#r + 1] = t[i] end end return r end
local function main()
  local xs = {}
  for i = 0, 299999 do xs[#xs + 1] = i end
  local ys = filter(function(x) return x % 2 == 0 end, map(function(x) return x * 3 end, xs))
  local counts = {}
  for _, y in ipairs(ys) do
    local k = y % 10
    counts[k] = (counts[k] or 0) + 1
  end
  return tostring(counts[0] + counts[2] + counts[4] + counts[6] + counts[8])
end
