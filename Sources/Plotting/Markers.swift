import Foundation

extension CoverageRasterizer {
    /// Adds one marker of diameter `size` px centred at `c`; `lineWidth` is used by + and ×.
    func addMarker(_ marker: Marker, at c: Point, size: Double) {
        let r = size / 2
        switch marker {
        case .none:
            return
        case .circle:
            addCircle(center: c, radius: r)
        case .square:
            let h = r * 0.85
            addRect(x0: c.x - h, y0: c.y - h, x1: c.x + h, y1: c.y + h)
        case .triangle:
            let k = r * 1.15
            addPolygon([Point(x: c.x, y: c.y - k), Point(x: c.x + k * 0.866, y: c.y + k * 0.5), Point(x: c.x - k * 0.866, y: c.y + k * 0.5)])
        case .diamond:
            let k = r * 1.05
            addPolygon([Point(x: c.x, y: c.y - k), Point(x: c.x + k * 0.7, y: c.y), Point(x: c.x, y: c.y + k), Point(x: c.x - k * 0.7, y: c.y)])
        case .plus, .cross:
            let w = max(1, size / 6)
            let arms: [(Double, Double)] = marker == .plus ? [(1, 0), (0, 1)] : [(0.7071, 0.7071), (0.7071, -0.7071)]
            for (dx, dy) in arms {
                let nx = -dy * w / 2, ny = dx * w / 2
                let a = Point(x: c.x - dx * r, y: c.y - dy * r), b = Point(x: c.x + dx * r, y: c.y + dy * r)
                addLine(Point(x: a.x + nx, y: a.y + ny), Point(x: b.x + nx, y: b.y + ny))
                addLine(Point(x: b.x + nx, y: b.y + ny), Point(x: b.x - nx, y: b.y - ny))
                addLine(Point(x: b.x - nx, y: b.y - ny), Point(x: a.x - nx, y: a.y - ny))
                addLine(Point(x: a.x - nx, y: a.y - ny), Point(x: a.x + nx, y: a.y + ny))
            }
        }
    }

    /// A rectangle with rounded corners of radius `r`.
    func addRoundedRect(_ b: Box, radius r: Double) {
        addPolygon(roundedRectPoints(b, radius: r))
    }
}

func roundedRectPoints(_ b: Box, radius: Double) -> [Point] {
    let r = min(radius, b.width / 2, b.height / 2)
    var pts: [Point] = []
    let corners: [(Double, Double, Double)] = [
        (b.x1 - r, b.y0 + r, -Double.pi / 2), (b.x1 - r, b.y1 - r, 0),
        (b.x0 + r, b.y1 - r, Double.pi / 2), (b.x0 + r, b.y0 + r, Double.pi),
    ]
    for (cx, cy, start) in corners {
        for k in 0...6 {
            let t = start + Double.pi / 2 * Double(k) / 6
            pts.append(Point(x: cx + r * cos(t), y: cy + r * sin(t)))
        }
    }
    return pts
}
