-- n-body: five planets, float arithmetic over tables with sqrt.
local sqrt = math.sqrt

local function energy(bodies)
  local e = 0.0
  local n = #bodies
  for i = 1, n do
    local b = bodies[i]
    e = e + 0.5 * b[7] * (b[4] * b[4] + b[5] * b[5] + b[6] * b[6])
    for j = i + 1, n do
      local c = bodies[j]
      local dx, dy, dz = b[1] - c[1], b[2] - c[2], b[3] - c[3]
      e = e - b[7] * c[7] / sqrt(dx * dx + dy * dy + dz * dz)
    end
  end
  return e
end

local function advance(bodies, dt, steps)
  local n = #bodies
  for s = 1, steps do
    for i = 1, n do
      local b = bodies[i]
      for j = i + 1, n do
        local c = bodies[j]
        local dx, dy, dz = b[1] - c[1], b[2] - c[2], b[3] - c[3]
        local d2 = dx * dx + dy * dy + dz * dz
        local mag = dt / (d2 * sqrt(d2))
        local bm, cm = b[7] * mag, c[7] * mag
        b[4] = b[4] - dx * cm
        b[5] = b[5] - dy * cm
        b[6] = b[6] - dz * cm
        c[4] = c[4] + dx * bm
        c[5] = c[5] + dy * bm
        c[6] = c[6] + dz * bm
      end
    end
    for i = 1, n do
      local b = bodies[i]
      b[1] = b[1] + dt * b[4]
      b[2] = b[2] + dt * b[5]
      b[3] = b[3] + dt * b[6]
    end
  end
end

local function main()
  local solar = 4 * math.pi * math.pi
  local days = 365.24
  local bodies = {
    {0.0, 0.0, 0.0, 0.0, 0.0, 0.0, solar},
    {4.84143144246472090, -1.16032004402742839, -0.103622044471123109, 0.00166007664274403694 * days, 0.00769901118419740425 * days, -0.0000690460016972063023 * days, 0.000954791938424326609 * solar},
    {8.34336671824457987, 4.12479856412430479, -0.403523417114321381, -0.00276742510726862411 * days, 0.00499852801234917238 * days, 0.0000230417297573763929 * days, 0.000285885980666130812 * solar},
    {12.8943695621391310, -15.1111514016986312, -0.223307578892655734, 0.00296460137564761618 * days, 0.00237847173959480950 * days, -0.0000296589568540237556 * days, 0.0000436624404335156298 * solar},
    {15.3796971148509165, -25.9193146099879641, 0.179258772950371181, 0.00268067772490389322 * days, 0.00162824170038242295 * days, -0.0000951592254519715870 * days, 0.0000515138902046611451 * solar},
  }
  local px, py, pz = 0.0, 0.0, 0.0
  for _, b in ipairs(bodies) do
    px = px + b[4] * b[7]
    py = py + b[5] * b[7]
    pz = pz + b[6] * b[7]
  end
  local sun = bodies[1]
  sun[4] = -px / solar
  sun[5] = -py / solar
  sun[6] = -pz / solar
  local before = energy(bodies)
  advance(bodies, 0.01, 20000)
  return string.format("%.9f %.9f", before, energy(bodies))
end
