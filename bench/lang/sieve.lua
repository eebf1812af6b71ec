-- Sieve of Eratosthenes over a table of booleans (0-based numbers, 1-based table).
local function main()
  local n = 1000000
  local flags = {}
  for k = 1, n + 1 do flags[k] = true end
  flags[1] = false
  flags[2] = false
  local i = 2
  while i * i <= n do
    if flags[i + 1] then
      local j = i * i
      while j <= n do
        flags[j + 1] = false
        j = j + i
      end
    end
    i = i + 1
  end
  local count, last = 0, 0
  for k = 0, n do
    if flags[k + 1] then
      count = count + 1
      last = k
    end
  end
  return count .. " " .. last
end
