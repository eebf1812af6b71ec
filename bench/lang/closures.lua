-- Closures and higher-order functions: functions made in a loop, composed, a counter closure,
-- map, filter and reduce with anonymous functions.
local function make_adder(n) return function(x) return x + n end end
local function compose(f, g) return function(x) return f(g(x)) end end
local function make_counter()
  local count = 0
  return function() count = count + 1; return count end
end
local function map(t, f) local r = {} for i = 1, #t do r[i] = f(t[i]) end return r end
local function filter(t, f) local r = {} for i = 1, #t do if f(t[i]) then r[#r + 1] = t[i] end end return r end
local function reduce(t, f, acc) for i = 1, #t do acc = f(acc, t[i]) end return acc end

local function main()
  local total = 0
  local inc = make_counter()
  for i = 0, 59999 do
    local add = make_adder(i % 10)
    local twice = compose(add, add)
    total = total + twice(i)
    inc()
  end
  local xs = {}
  for i = 0, 199999 do xs[i + 1] = i end
  local ys = filter(map(xs, function(x) return x * 2 end), function(x) return x % 3 == 0 end)
  local s = reduce(ys, function(a, b) return a + b end, 0)
  return total .. " " .. inc() .. " " .. #ys .. " " .. s
end
