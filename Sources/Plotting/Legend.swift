import Foundation

/// How a legend entry shows its series.
enum LegendHandle {
    case line(color: Color, width: Double, dash: LineDash, marker: Marker, markerSize: Double)
    case marker(color: Color, marker: Marker, size: Double)
    case patch(color: Color, outline: Bool)
    case errorBar(color: Color, marker: Marker, markerSize: Double, width: Double)
}

struct LegendEntry {
    var label: String
    var handle: LegendHandle
}

extension Axes {
    var legendEntries: [LegendEntry] {
        var out: [LegendEntry] = []
        let hists = elements.filter { if case .bars(let b) = $0 { return b.isHistogram && b.autoAlpha } else { return false } }.count
        for e in elements {
            switch e {
            case .line(let l):
                if let s = l.options.label {
                    out.append(LegendEntry(label: s, handle: .line(color: l.color.withAlpha(l.color.alpha * l.options.alpha), width: l.options.width,
                                                                  dash: l.options.dash, marker: l.options.marker, markerSize: l.options.markerSize)))
                }
            case .scatter(let s):
                if let t = s.options.label {
                    let base = s.valueRange == nil ? s.color : s.options.colormap.color(at: 0.5)
                    out.append(LegendEntry(label: t, handle: .marker(color: base.withAlpha(base.alpha * s.options.alpha),
                                                                     marker: s.options.marker, size: s.options.size)))
                }
            case .bars(let b):
                if let t = b.label {
                    out.append(LegendEntry(label: t, handle: .patch(color: b.autoAlpha && hists > 1 ? b.color.withAlpha(0.6) : b.color, outline: b.outline)))
                }
            case .fill(let f):
                if let t = f.label { out.append(LegendEntry(label: t, handle: .patch(color: f.color, outline: false))) }
            case .reference(let r):
                if let t = r.options.label {
                    out.append(LegendEntry(label: t, handle: .line(color: r.options.color.withAlpha(r.options.color.alpha * r.options.alpha),
                                                                  width: r.options.width, dash: r.options.dash, marker: .none, markerSize: 0)))
                }
            case .errorBars(let eb):
                if let t = eb.options.label {
                    out.append(LegendEntry(label: t, handle: .errorBar(color: eb.color, marker: eb.options.marker,
                                                                       markerSize: eb.options.markerSize, width: eb.options.width)))
                }
            case .heatmap, .text:
                break
            }
        }
        return out
    }

    /// Data positions in pixels that a legend should not cover: points, and segments between them.
    private func obstacles(xm: AxisMap, ym: AxisMap) -> (points: [Point], segments: [(Point, Point)], boxes: [Box]) {
        var pts: [Point] = [], segs: [(Point, Point)] = [], boxes: [Box] = []
        func add(_ x: [Double], _ y: [Double], connect: Bool) {
            // Long series are thinned evenly; placement only needs their shape.
            let step = max(1, x.count / 4000)
            var prev: Point? = nil
            for i in Swift.stride(from: 0, to: x.count, by: step) {
                let p = Point(x: xm(x[i]), y: ym(y[i]))
                pts.append(p)
                if connect, let q = prev { segs.append((q, p)) }
                prev = p
            }
        }
        for e in elements {
            switch e {
            case .line(let l): add(l.x, l.y, connect: true)
            case .scatter(let s): add(s.x, s.y, connect: false)
            case .errorBars(let eb): add(eb.x, eb.y, connect: eb.options.connect)
            case .fill(let f):
                add(f.x, f.upper, connect: true)
                add(f.x, f.lower, connect: true)
            case .bars(let b):
                for i in b.left.indices where b.top[i] != b.bottom[i] {
                    let y0 = ym(b.bottom[i]), y1 = ym(b.top[i])
                    boxes.append(Box(x0: xm(b.left[i]), y0: min(y0, y1), x1: xm(b.right[i]), y1: max(y0, y1)))
                }
            case .reference(let r):
                if r.horizontal {
                    let y = ym(r.value)
                    segs.append((Point(x: xm.p0, y: y), Point(x: xm.p1, y: y)))
                } else {
                    let x = xm(r.value)
                    segs.append((Point(x: x, y: ym.p0), Point(x: x, y: ym.p1)))
                }
            case .heatmap, .text:
                break
            }
        }
        return (pts, segs, boxes)
    }

    private static func segmentHits(_ a: Point, _ b: Point, _ box: Box) -> Bool {
        if box.contains(a) || box.contains(b) { return true }
        var t0 = 0.0, t1 = 1.0
        let dx = b.x - a.x, dy = b.y - a.y
        for (p, q) in [(-dx, a.x - box.x0), (dx, box.x1 - a.x), (-dy, a.y - box.y0), (dy, box.y1 - a.y)] {
            if p == 0 { if q < 0 { return false } } else {
                let r = q / p
                if p < 0 { if r > t1 { return false }; t0 = max(t0, r) } else { if r < t0 { return false }; t1 = min(t1, r) }
            }
        }
        return true
    }

    func drawLegend(box: Box, xm: AxisMap, ym: AxisMap, raster: inout Raster, ctx: RenderContext) {
        guard legend != .hidden else { return }
        let entries = legendEntries
        guard !entries.isEmpty else { return }
        let fs = ctx.fontSize
        let em = fs
        let handleLen = 2 * em, handlePad = 0.8 * em, border = 0.4 * em, spacing = 0.5 * em, axesPad = 0.5 * em
        let sizes = entries.map { ctx.text.measure($0.label, size: fs) }
        let rowH = sizes.map(\.height).max() ?? fs
        let textW = sizes.map(\.width).max() ?? 0
        let w = 2 * border + handleLen + handlePad + textW + 2
        let h = 2 * border + Double(entries.count) * rowH + Double(entries.count - 1) * spacing
        func candidate(_ p: LegendPlacement) -> Box {
            let left = box.x0 + axesPad, right = box.x1 - axesPad - w, cx = (box.x0 + box.x1 - w) / 2
            let top = box.y0 + axesPad, bottom = box.y1 - axesPad - h, cy = (box.y0 + box.y1 - h) / 2
            let (x, y): (Double, Double)
            switch p {
            case .upperRight, .best, .hidden: (x, y) = (right, top)
            case .upperLeft: (x, y) = (left, top)
            case .lowerLeft: (x, y) = (left, bottom)
            case .lowerRight: (x, y) = (right, bottom)
            case .right, .centerRight: (x, y) = (right, cy)
            case .centerLeft: (x, y) = (left, cy)
            case .lowerCenter: (x, y) = (cx, bottom)
            case .upperCenter: (x, y) = (cx, top)
            case .center: (x, y) = (cx, cy)
            }
            return Box(x0: x.rounded(), y0: y.rounded(), x1: x.rounded() + w, y1: y.rounded() + h)
        }
        var place = legend
        if legend == .best {
            let (pts, segs, boxes) = obstacles(xm: xm, ym: ym)
            let order: [LegendPlacement] = [.upperRight, .upperLeft, .lowerLeft, .lowerRight, .right, .centerLeft,
                                            .centerRight, .lowerCenter, .upperCenter, .center]
            var best = Int.max
            for p in order {
                let c = candidate(p)
                var bad = 0
                for q in pts where c.contains(q) { bad += 1 }
                for (a, b) in segs where Axes.segmentHits(a, b, c) { bad += 1 }
                for b in boxes where b.intersects(c) { bad += 1 }
                if bad < best {
                    best = bad
                    place = p
                }
                if bad == 0 { break }
            }
        }
        let lb = candidate(place)
        let R = ctx.raster
        let all = PixelRect(x0: 0, y0: 0, x1: raster.width, y1: raster.height)
        let radius = 0.2 * em
        R.addRoundedRect(lb, radius: radius)
        R.composite(into: &raster, color: Color.white.withAlpha(0.8), clip: all)
        var outline = roundedRectPoints(lb, radius: radius)
        outline += outline.prefix(2)
        R.strokePolyline(outline, width: max(1, 0.8 * ctx.px), dash: nil, squareCaps: false, bounds: lb.inset(-4))
        R.composite(into: &raster, color: .legendEdge, clip: all)
        for (i, entry) in entries.enumerated() {
            let top = lb.y0 + border + Double(i) * (rowH + spacing)
            let cy = top + rowH / 2
            let hx0 = lb.x0 + border, hx1 = hx0 + handleLen
            switch entry.handle {
            case .line(let color, let width, let dash, let marker, let ms):
                let lw = width * ctx.px
                R.strokePolyline([Point(x: hx0, y: cy), Point(x: hx1, y: cy)], width: lw, dash: dash.pattern.map { $0.map { $0 * lw } },
                                 squareCaps: false, bounds: lb)
                R.composite(into: &raster, color: color, clip: all)
                if marker != .none {
                    R.addMarker(marker, at: Point(x: (hx0 + hx1) / 2, y: cy), size: (ms + RenderContext.markerEdge) * ctx.px)
                    R.composite(into: &raster, color: color, clip: all)
                }
            case .marker(let color, let marker, let size):
                R.addMarker(marker, at: Point(x: (hx0 + hx1) / 2, y: cy), size: (size + RenderContext.markerEdge) * ctx.px)
                R.composite(into: &raster, color: color, clip: all)
            case .patch(let color, let outline):
                let pb = Box(x0: hx0, y0: cy - 0.35 * em, x1: hx1, y1: cy + 0.35 * em)
                if outline {
                    R.strokePolyline([Point(x: pb.x0, y: pb.y1), Point(x: pb.x0, y: pb.y0), Point(x: pb.x1, y: pb.y0), Point(x: pb.x1, y: pb.y1)],
                                     width: 1.5 * ctx.px, dash: nil, squareCaps: false, bounds: lb)
                } else {
                    R.addRect(x0: pb.x0, y0: pb.y0, x1: pb.x1, y1: pb.y1)
                }
                R.composite(into: &raster, color: color, clip: all)
            case .errorBar(let color, let marker, let ms, let width):
                let mx = (hx0 + hx1) / 2
                R.strokePolyline([Point(x: mx, y: cy - 0.45 * em), Point(x: mx, y: cy + 0.45 * em)], width: width * ctx.px, dash: nil,
                                 squareCaps: false, bounds: lb)
                R.addMarker(marker, at: Point(x: mx, y: cy), size: (ms + RenderContext.markerEdge) * ctx.px)
                R.composite(into: &raster, color: color, clip: all)
            }
            ctx.text.draw(entry.label, size: fs, at: hx1 + handlePad, cy, h: .left, v: .center, color: .ink, into: &raster)
        }
    }
}
