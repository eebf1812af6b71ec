import Foundation

/// Turns lines and markers into filled shapes for `CoverageRasterizer`: polylines become one quad per
/// segment plus a disc at each bend (round joins, as matplotlib draws solid lines), dashes are cut by
/// arc length, and segments are clipped to a box first so huge off-screen coordinates cost nothing.
struct Box {
    var x0: Double, y0: Double, x1: Double, y1: Double

    func inset(_ d: Double) -> Box { Box(x0: x0 + d, y0: y0 + d, x1: x1 - d, y1: y1 - d) }
    func contains(_ p: Point) -> Bool { p.x >= x0 && p.x <= x1 && p.y >= y0 && p.y <= y1 }
    var width: Double { x1 - x0 }
    var height: Double { y1 - y0 }
    var pixelRect: PixelRect {
        PixelRect(x0: Int(x0.rounded(.down)), y0: Int(y0.rounded(.down)), x1: Int(x1.rounded(.up)), y1: Int(y1.rounded(.up)))
    }
    func intersects(_ o: Box) -> Bool { x0 < o.x1 && o.x0 < x1 && y0 < o.y1 && o.y0 < y1 }
}

extension CoverageRasterizer {
    /// Strokes a polyline of width `width` px. `dash` is an on/off pattern in px (nil: solid);
    /// `squareCaps` extends solid ends by half the width (matplotlib's "projecting" cap).
    func strokePolyline(_ pts: [Point], width: Double, dash: [Double]?, squareCaps: Bool, bounds: Box) {
        guard width > 0, !pts.isEmpty else { return }
        let box = bounds.inset(-width - 2)
        if let dash, dash.count >= 2, dash.allSatisfy({ $0 > 0 }) {
            for piece in dashPieces(pts, pattern: dash) {
                strokeSolid(piece, width: width, squareCaps: false, box: box)
            }
        } else {
            strokeSolid(pts, width: width, squareCaps: squareCaps, box: box)
        }
    }

    private func strokeSolid(_ input: [Point], width: Double, squareCaps: Bool, box: Box) {
        // Drop repeated points so every segment has a direction.
        var pts: [Point] = []
        pts.reserveCapacity(input.count)
        for p in input where p.x.isFinite && p.y.isFinite {
            if let last = pts.last, abs(last.x - p.x) < 1e-9, abs(last.y - p.y) < 1e-9 { continue }
            pts.append(p)
        }
        let hw = width / 2
        if pts.count == 1 {
            if squareCaps { addRect(x0: pts[0].x - hw, y0: pts[0].y - hw, x1: pts[0].x + hw, y1: pts[0].y + hw) }
            return
        }
        let n = pts.count
        guard n >= 2 else { return }
        var prevDir: (Double, Double)? = nil
        for i in 0..<(n - 1) {
            var a = pts[i], b = pts[i + 1]
            let dx = b.x - a.x, dy = b.y - a.y
            let len = (dx * dx + dy * dy).squareRoot()
            let ux = dx / len, uy = dy / len
            if squareCaps && i == 0 { a = Point(x: a.x - ux * hw, y: a.y - uy * hw) }
            if squareCaps && i == n - 2 { b = Point(x: b.x + ux * hw, y: b.y + uy * hw) }
            if let (c0, c1) = clip(a, b, to: box) {
                let nx = -uy * hw, ny = ux * hw
                addLine(Point(x: c0.x + nx, y: c0.y + ny), Point(x: c1.x + nx, y: c1.y + ny))
                addLine(Point(x: c1.x + nx, y: c1.y + ny), Point(x: c1.x - nx, y: c1.y - ny))
                addLine(Point(x: c1.x - nx, y: c1.y - ny), Point(x: c0.x - nx, y: c0.y - ny))
                addLine(Point(x: c0.x - nx, y: c0.y - ny), Point(x: c0.x + nx, y: c0.y + ny))
            }
            // Join at the start of this segment when the line bends there: round for wide lines; for thin
            // ones a bevel triangle over the outer gap, which looks the same and costs three edges.
            if let (px, py) = prevDir, box.contains(pts[i]) {
                let cross = px * uy - py * ux, dot = px * ux + py * uy
                if dot < 0.9999 {
                    if width > 4 {
                        addCircle(center: pts[i], radius: hw)
                    } else {
                        let s = cross > 0 ? -hw : hw
                        let v = pts[i]
                        addPolygon([v, Point(x: v.x - py * s, y: v.y + px * s), Point(x: v.x - uy * s, y: v.y + ux * s)])
                    }
                }
            }
            prevDir = (ux, uy)
        }
    }

    /// Liang–Barsky clipping of segment a→b to `box`; nil when it lies outside.
    private func clip(_ a: Point, _ b: Point, to box: Box) -> (Point, Point)? {
        if box.contains(a) && box.contains(b) { return (a, b) }
        var t0 = 0.0, t1 = 1.0
        let dx = b.x - a.x, dy = b.y - a.y
        for (p, q) in [(-dx, a.x - box.x0), (dx, box.x1 - a.x), (-dy, a.y - box.y0), (dy, box.y1 - a.y)] {
            if p == 0 {
                if q < 0 { return nil }
            } else {
                let r = q / p
                if p < 0 { if r > t1 { return nil }; if r > t0 { t0 = r } } else { if r < t0 { return nil }; if r < t1 { t1 = r } }
            }
        }
        return (Point(x: a.x + t0 * dx, y: a.y + t0 * dy), Point(x: a.x + t1 * dx, y: a.y + t1 * dy))
    }

    /// Cuts a polyline into its "on" pieces for an on/off dash pattern (in px), continuing the pattern
    /// across vertices.
    private func dashPieces(_ pts: [Point], pattern: [Double]) -> [[Point]] {
        var pieces: [[Point]] = []
        var current: [Point] = []
        var k = 0
        var left = pattern[0]
        var on = true
        if let first = pts.first { current = [first] }
        for i in 1..<max(1, pts.count) {
            var a = pts[i - 1]
            let b = pts[i]
            var seg = ((b.x - a.x) * (b.x - a.x) + (b.y - a.y) * (b.y - a.y)).squareRoot()
            while seg > 0 {
                if seg < left {
                    left -= seg
                    if on { current.append(b) }
                    seg = 0
                } else {
                    let t = left / seg
                    let m = Point(x: a.x + (b.x - a.x) * t, y: a.y + (b.y - a.y) * t)
                    if on {
                        current.append(m)
                        pieces.append(current)
                        current = []
                    } else {
                        current = [m]
                    }
                    seg -= left
                    a = m
                    on.toggle()
                    k = (k + 1) % pattern.count
                    left = pattern[k]
                }
            }
        }
        if on && current.count >= 2 { pieces.append(current) }
        return pieces
    }

    /// A filled disc as a polygon fine enough that its edge looks round at this radius.
    func addCircle(center c: Point, radius r: Double) {
        guard r > 0 else { return }
        let n = max(8, min(64, Int(r * 3)))
        let unit: [(Double, Double)]
        if let u = circleCache[n] {
            unit = u
        } else {
            unit = (1...n).map { k in
                let t = -2 * Double.pi * Double(k) / Double(n)
                return (cos(t), sin(t))
            }
            circleCache[n] = unit
        }
        var prev = Point(x: c.x + r, y: c.y)
        for (ux, uy) in unit {
            let p = Point(x: c.x + r * ux, y: c.y + r * uy)
            addLine(prev, p)
            prev = p
        }
    }
}
