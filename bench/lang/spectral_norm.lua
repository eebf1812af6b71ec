-- Spectral norm of A(i, j) = 1 / ((i + j)(i + j + 1) / 2 + i + 1) by the power method (0-based i, j).
local function a(i, j) return 1.0 / ((i + j) * (i + j + 1) // 2 + i + 1) end

local function times(v, u, transposed)
  local n = #u
  for i = 0, n - 1 do
    local s = 0.0
    for j = 0, n - 1 do
      if transposed then s = s + a(j, i) * u[j + 1] else s = s + a(i, j) * u[j + 1] end
    end
    v[i + 1] = s
  end
end

local function times_ata(v, u, tmp)
  times(tmp, u, false)
  times(v, tmp, true)
end

local function main()
  local n = 120
  local u, v, tmp = {}, {}, {}
  for i = 1, n do u[i] = 1.0; v[i] = 0.0; tmp[i] = 0.0 end
  for k = 1, 10 do
    times_ata(v, u, tmp)
    times_ata(u, v, tmp)
  end
  local vbv, vv = 0.0, 0.0
  for i = 1, n do
    vbv = vbv + u[i] * v[i]
    vv = vv + v[i] * v[i]
  end
  return string.format("%.9f", math.sqrt(vbv / vv))
end
