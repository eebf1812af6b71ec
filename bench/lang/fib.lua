-- Naive recursion: fib(30) with two calls per level.
local function fib(n)
  if n < 2 then return n end
  return fib(n - 1) + fib(n - 2)
end
local function main() return tostring(fib(30)) end
