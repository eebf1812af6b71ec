/// A point in pixel space (x right, y down), in fractional pixels.
struct Point: Equatable {
    var x: Double
    var y: Double
}

/// Anti-aliased polygon filling by exact area coverage.
///
/// Each edge adds its signed area contribution into a cell buffer (one float per pixel, plus two columns
/// of slack on the right); a running sum along each row then gives the winding-weighted coverage of
/// every pixel. Shapes added between two `composite` calls form one path: overlapping pieces of the same
/// orientation clamp to full coverage, so a stroke made of many quads and join discs is drawn once,
/// with no darker seams where pieces overlap and none between adjacent bars of one series.
final class CoverageRasterizer {
    let width: Int
    let height: Int
    private let stride: Int
    private var cells: [Float]
    private var minX = Int.max, maxX = Int.min, minY = Int.max, maxY = Int.min
    /// Unit-circle vertices by segment count, for discs (markers, round joins).
    var circleCache: [Int: [(Double, Double)]] = [:]

    init(width: Int, height: Int) {
        self.width = width
        self.height = height
        stride = width + 2
        cells = [Float](repeating: 0, count: (width + 2) * height)
    }

    /// Adds a closed polygon (the last point connects back to the first). Every shape is turned to one
    /// orientation (negative shoelace sum, that of the stroke quads) so overlaps add up instead of cancelling.
    func addPolygon(_ pts: [Point]) {
        guard pts.count >= 3 else { return }
        var area = 0.0
        var prev = pts[pts.count - 1]
        for p in pts {
            area += prev.x * p.y - p.x * prev.y
            prev = p
        }
        if area > 0 {
            prev = pts[0]
            for p in pts.reversed() {
                addLine(prev, p)
                prev = p
            }
        } else {
            prev = pts[pts.count - 1]
            for p in pts {
                addLine(prev, p)
                prev = p
            }
        }
    }

    /// Adds an axis-aligned rectangle, oriented like the stroke quads.
    func addRect(x0: Double, y0: Double, x1: Double, y1: Double) {
        let (xa, xb) = x0 < x1 ? (x0, x1) : (x1, x0)
        let (ya, yb) = y0 < y1 ? (y0, y1) : (y1, y0)
        addLine(Point(x: xa, y: ya), Point(x: xa, y: yb))
        addLine(Point(x: xb, y: yb), Point(x: xb, y: ya))
    }

    /// One directed edge. Pieces left of x = 0 or right of x = width are projected onto those borders,
    /// which keeps the winding of every pixel inside the image exact.
    func addLine(_ a: Point, _ b: Point) {
        guard a.y != b.y, a.x.isFinite, a.y.isFinite, b.x.isFinite, b.y.isFinite else { return }
        let h = Double(height)
        if (a.y <= 0 && b.y <= 0) || (a.y >= h && b.y >= h) { return }
        let w = Double(width)
        if a.x >= 0, a.x <= w, b.x >= 0, b.x <= w {
            accumulate(a.x, a.y, b.x, b.y)
            return
        }
        let dx = b.x - a.x
        var t1 = 2.0, t2 = 2.0
        if dx != 0 {
            let u = (0 - a.x) / dx, v = (w - a.x) / dx
            let lo = min(u, v), hi = max(u, v)
            if lo > 0 && lo < 1 { t1 = lo }
            if hi > 0 && hi < 1 { if t1 == 2 { t1 = hi } else { t2 = hi } }
        }
        var t0 = 0.0
        for t in [t1, t2, 1.0] where t <= 1 {
            let p = Point(x: min(max(a.x + dx * t0, 0), w), y: a.y + (b.y - a.y) * t0)
            let q = Point(x: min(max(a.x + dx * t, 0), w), y: a.y + (b.y - a.y) * t)
            if p.y != q.y { accumulate(p.x, p.y, q.x, q.y) }
            t0 = t
        }
    }

    private func accumulate(_ ax: Double, _ ay: Double, _ bx: Double, _ by: Double) {
        let dir: Double
        let x0p, y0p, x1p, y1p: Double
        if ay < by { dir = 1; x0p = ax; y0p = ay; x1p = bx; y1p = by } else { dir = -1; x0p = bx; y0p = by; x1p = ax; y1p = ay }
        let dxdy = (x1p - x0p) / (y1p - y0p)
        var x = x0p
        // addLine guarantees y0p < height and y1p > 0; far-off ends are clamped before Int conversion.
        let yStart = y0p <= 0 ? 0 : Int(y0p.rounded(.down))
        if y0p < 0 { x -= y0p * dxdy }
        let yEnd = y1p >= Double(height) ? height : Int(y1p.rounded(.up))
        if yStart >= yEnd { return }
        minY = min(minY, yStart)
        maxY = max(maxY, yEnd - 1)
        let s = stride
        cells.withUnsafeMutableBufferPointer { buf in
            guard let c = buf.baseAddress else { return }
            for y in yStart..<yEnd {
                let row = y * s
                let yd = Double(y)
                let dy = min(yd + 1, y1p) - max(yd, y0p)
                let xnext = x + dxdy * dy
                let d = dy * dir
                let (xa, xb) = x < xnext ? (x, xnext) : (xnext, x)
                let xaFloor = xa.rounded(.down)
                let xai = Int(xaFloor)
                let xbCeil = xb.rounded(.up)
                let xbi = Int(xbCeil)
                if xai < minX { minX = xai }
                if xbi <= xai + 1 {
                    let xmf = 0.5 * (x + xnext) - xaFloor
                    c[row + xai] += Float(d - d * xmf)
                    c[row + xai + 1] += Float(d * xmf)
                    if xai + 1 > maxX { maxX = xai + 1 }
                } else {
                    let inv = 1 / (xb - xa)
                    let xaf = xa - xaFloor
                    let a0 = 0.5 * inv * (1 - xaf) * (1 - xaf)
                    let xbf = xb - xbCeil + 1
                    let am = 0.5 * inv * xbf * xbf
                    c[row + xai] += Float(d * a0)
                    if xbi == xai + 2 {
                        c[row + xai + 1] += Float(d * (1 - a0 - am))
                    } else {
                        let a1 = inv * (1.5 - xaf)
                        c[row + xai + 1] += Float(d * (a1 - a0))
                        if xai + 2 < xbi - 1 {
                            let step = Float(d * inv)
                            for xi in (xai + 2)..<(xbi - 1) { c[row + xi] += step }
                        }
                        let a2 = a1 + Double(xbi - xai - 3) * inv
                        c[row + xbi - 1] += Float(d * (1 - a2 - am))
                    }
                    c[row + xbi] += Float(d * am)
                    if xbi > maxX { maxX = xbi }
                }
                x = xnext
            }
        }
    }

    /// Blends the accumulated path into `raster` with `color`, only inside `clip`, then clears the path.
    func composite(into raster: inout Raster, color: Color, clip: PixelRect) {
        guard minY <= maxY, minX <= maxX else { reset(); return }
        let c = clip.intersection(PixelRect(x0: 0, y0: 0, x1: width, y1: height))
        let r = Float(color.red * 255), g = Float(color.green * 255), b = Float(color.blue * 255)
        let alpha = Float(min(max(color.alpha, 0), 1))
        let xLo = max(0, minX), xHi = min(stride - 1, maxX)
        let s = stride, w = width
        raster.pixels.withUnsafeMutableBufferPointer { pbuf in
            guard let px = pbuf.baseAddress else { return }
            cells.withUnsafeMutableBufferPointer { cbuf in
                guard let cell = cbuf.baseAddress else { return }
                for y in minY...maxY {
                    let row = y * s
                    let inRows = y >= c.y0 && y < c.y1
                    var acc: Float = 0
                    for x in xLo...xHi {
                        acc += cell[row + x]
                        cell[row + x] = 0
                        guard inRows, x >= c.x0, x < c.x1 else { continue }
                        var cov = acc < 0 ? -acc : acc
                        if cov < 0.002 { continue }
                        if cov > 1 { cov = 1 }
                        Raster.blend(px + (y * w + x) * 4, r, g, b, cov * alpha)
                    }
                }
            }
        }
        minX = .max; maxX = .min; minY = .max; maxY = .min
    }

    /// Drops the accumulated path without drawing it.
    func reset() {
        if minY <= maxY, minX <= maxX {
            let xLo = max(0, minX), xHi = min(stride - 1, maxX)
            for y in minY...maxY { for x in xLo...xHi { cells[y * stride + x] = 0 } }
        }
        minX = .max; maxX = .min; minY = .max; maxY = .min
    }
}
