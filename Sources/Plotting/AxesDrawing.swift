import Foundation

extension Axes {
    /// Draws the axes into `raster` inside `frame.box`: grid, series, spines, ticks, labels, colour bar
    /// and legend, in matplotlib's stacking order.
    func draw(_ frame: AxesFrame, into raster: inout Raster, ctx: RenderContext) {
        let box = frame.box
        let xm = AxisMap(range: frame.xRange, scale: xScale, p0: box.x0, p1: box.x1)
        let ym = AxisMap(range: frame.yRange, scale: yScale, p0: box.y1, p1: box.y0)
        let clip = box.pixelRect
        let R = ctx.raster
        let autoAlpha = elements.filter { if case .bars(let b) = $0 { return b.isHistogram && b.autoAlpha } else { return false } }.count > 1

        if grid {
            let gw = ctx.gridWidth
            for t in frame.xTicks.ticks where t.major {
                let x = ctx.snap(xm(t.value), width: gw)
                R.addRect(x0: x - gw / 2, y0: box.y0, x1: x + gw / 2, y1: box.y1)
            }
            for t in frame.yTicks.ticks where t.major {
                let y = ctx.snap(ym(t.value), width: gw)
                R.addRect(x0: box.x0, y0: y - gw / 2, x1: box.x1, y1: y + gw / 2)
            }
            R.composite(into: &raster, color: .gridGray, clip: clip)
        }

        for element in elements {
            switch element {
            case .line(let l):
                drawLine(l.x, l.y, color: l.color, options: l.options, xm: xm, ym: ym, box: box, clip: clip, raster: &raster, ctx: ctx)
                if l.options.marker != .none {
                    let mx = l.markerX ?? l.x, my = l.markerY ?? l.y
                    for i in mx.indices { R.addMarker(l.options.marker, at: Point(x: xm(mx[i]), y: ym(my[i])), size: (l.options.markerSize + RenderContext.markerEdge) * ctx.px) }
                    R.composite(into: &raster, color: l.color.withAlpha(l.color.alpha * l.options.alpha), clip: clip)
                }
            case .scatter(let s) where s.valueRange != nil:
                drawColoredScatter(s, xm: xm, ym: ym, clip: clip, raster: &raster, ctx: ctx)
            case .scatter(let s):
                let color = s.color.withAlpha(s.color.alpha * s.options.alpha)
                for i in s.x.indices {
                    R.addMarker(s.options.marker, at: Point(x: xm(s.x[i]), y: ym(s.y[i])), size: (s.options.size + RenderContext.markerEdge) * ctx.px)
                    // Translucent markers are blended one by one so that overlaps look denser.
                    if s.options.alpha < 1 { R.composite(into: &raster, color: color, clip: clip) }
                }
                R.composite(into: &raster, color: color, clip: clip)
            case .bars(let b):
                let color = b.autoAlpha && autoAlpha ? b.color.withAlpha(0.6) : b.color
                if b.outline {
                    var pts: [Point] = []
                    for i in b.left.indices {
                        if i == 0 { pts.append(Point(x: xm(b.left[i]), y: ym(b.bottom[i]))) }
                        pts.append(Point(x: xm(b.left[i]), y: ym(b.top[i])))
                        pts.append(Point(x: xm(b.right[i]), y: ym(b.top[i])))
                    }
                    if let l = b.right.last, let bt = b.bottom.last { pts.append(Point(x: xm(l), y: ym(bt))) }
                    R.strokePolyline(pts, width: 1.5 * ctx.px, dash: nil, squareCaps: false, bounds: box)
                } else {
                    for i in b.left.indices where b.top[i] != b.bottom[i] {
                        if yScale == .log && b.top[i] <= 0 { continue }
                        R.addRect(x0: xm(b.left[i]), y0: ym(b.bottom[i]), x1: xm(b.right[i]), y1: ym(b.top[i]))
                    }
                }
                R.composite(into: &raster, color: color, clip: clip)
            case .fill(let f):
                var pts: [Point] = []
                for i in f.x.indices { pts.append(Point(x: xm(f.x[i]), y: ym(f.upper[i]))) }
                for i in f.x.indices.reversed() { pts.append(Point(x: xm(f.x[i]), y: ym(f.lower[i]))) }
                R.addPolygon(pts)
                R.composite(into: &raster, color: f.color, clip: clip)
            case .reference(let r):
                let w = r.options.width * ctx.px
                let pts: [Point] = r.horizontal
                    ? [Point(x: box.x0, y: ctx.snap(ym(r.value), width: w)), Point(x: box.x1, y: ctx.snap(ym(r.value), width: w))]
                    : [Point(x: ctx.snap(xm(r.value), width: w), y: box.y1), Point(x: ctx.snap(xm(r.value), width: w), y: box.y0)]
                R.strokePolyline(pts, width: w, dash: r.options.dash.pattern.map { $0.map { $0 * w } }, squareCaps: false, bounds: box)
                R.composite(into: &raster, color: r.options.color.withAlpha(r.options.color.alpha * r.options.alpha), clip: clip)
            case .errorBars(let e):
                drawErrorBars(e, xm: xm, ym: ym, box: box, clip: clip, raster: &raster, ctx: ctx)
            case .heatmap(let h):
                drawHeatmap(h, xm: xm, ym: ym, box: box, raster: &raster, ctx: ctx)
            case .text(let t):
                drawText(t, xm: xm, ym: ym, box: box, clip: clip, raster: &raster, ctx: ctx)
            }
        }

        drawSpinesAndTicks(frame, xm: xm, ym: ym, raster: &raster, ctx: ctx)
        if let h = colorbarSource, let t = frame.colorbarTicks {
            drawColorbar(h, ticks: t, box: box, raster: &raster, ctx: ctx)
        }
        drawLegend(box: box, xm: xm, ym: ym, raster: &raster, ctx: ctx)
    }

    private func drawLine(_ x: [Double], _ y: [Double], color: Color, options o: LineOptions, xm: AxisMap, ym: AxisMap,
                          box: Box, clip: PixelRect, raster: inout Raster, ctx: RenderContext) {
        guard o.width > 0 else { return }
        let w = o.width * ctx.px
        var pts = [Point]()
        pts.reserveCapacity(x.count)
        for i in x.indices { pts.append(Point(x: xm(x[i]), y: ym(y[i]))) }
        ctx.raster.strokePolyline(pts, width: w, dash: o.dash.pattern.map { $0.map { $0 * w } }, squareCaps: o.dash == .solid, bounds: box)
        ctx.raster.composite(into: &raster, color: color.withAlpha(color.alpha * o.alpha), clip: clip)
    }

    /// Points coloured by value: opaque markers are grouped by colour (one blend per colour level);
    /// translucent ones are blended one at a time so overlaps show.
    private func drawColoredScatter(_ s: ScatterElement, xm: AxisMap, ym: AxisMap, clip: PixelRect, raster: inout Raster, ctx: RenderContext) {
        guard let values = s.options.values, let (lo, hi) = s.valueRange else { return }
        let size = (s.options.size + RenderContext.markerEdge) * ctx.px
        func level(_ v: Double) -> Int { hi > lo ? Int((min(max((v - lo) / (hi - lo), 0), 1) * 255).rounded()) : 128 }
        func color(_ k: Int) -> Color { s.options.colormap.color(at: Double(k) / 255).withAlpha(s.options.alpha) }
        if s.options.alpha < 1 {
            for i in s.x.indices {
                ctx.raster.addMarker(s.options.marker, at: Point(x: xm(s.x[i]), y: ym(s.y[i])), size: size)
                ctx.raster.composite(into: &raster, color: color(level(values[i])), clip: clip)
            }
            return
        }
        var byLevel = [[Int]](repeating: [], count: 256)
        for i in s.x.indices { byLevel[level(values[i])].append(i) }
        for (k, idx) in byLevel.enumerated() where !idx.isEmpty {
            for i in idx { ctx.raster.addMarker(s.options.marker, at: Point(x: xm(s.x[i]), y: ym(s.y[i])), size: size) }
            ctx.raster.composite(into: &raster, color: color(k), clip: clip)
        }
    }

    private func drawErrorBars(_ e: ErrorBarElement, xm: AxisMap, ym: AxisMap, box: Box, clip: PixelRect, raster: inout Raster, ctx: RenderContext) {
        let R = ctx.raster
        let color = e.color.withAlpha(e.color.alpha * e.options.alpha)
        if e.options.connect {
            drawLine(e.x, e.y, color: e.color, options: LineOptions(width: e.options.width, alpha: e.options.alpha), xm: xm, ym: ym,
                     box: box, clip: clip, raster: &raster, ctx: ctx)
        }
        let w = e.options.width * ctx.px
        let cap = e.options.capSize * ctx.px
        for i in e.x.indices {
            let cx = xm(e.x[i]), cy = ym(e.y[i])
            if let ye = e.yErr?[i], ye > 0 {
                let a = ym(e.y[i] - ye), b = ym(e.y[i] + ye)
                R.strokePolyline([Point(x: cx, y: a), Point(x: cx, y: b)], width: w, dash: nil, squareCaps: false, bounds: box)
                if cap > 0 {
                    for yy in [a, b] { R.addRect(x0: cx - cap, y0: yy - w / 2, x1: cx + cap, y1: yy + w / 2) }
                }
            }
            if let xe = e.xErr?[i], xe > 0 {
                let a = xm(e.x[i] - xe), b = xm(e.x[i] + xe)
                R.strokePolyline([Point(x: a, y: cy), Point(x: b, y: cy)], width: w, dash: nil, squareCaps: false, bounds: box)
                if cap > 0 {
                    for xx in [a, b] { R.addRect(x0: xx - w / 2, y0: cy - cap, x1: xx + w / 2, y1: cy + cap) }
                }
            }
            R.addMarker(e.options.marker, at: Point(x: cx, y: cy), size: (e.options.markerSize + RenderContext.markerEdge) * ctx.px)
        }
        R.composite(into: &raster, color: color, clip: clip)
    }

    private func drawHeatmap(_ h: HeatmapElement, xm: AxisMap, ym: AxisMap, box: Box, raster: inout Raster, ctx: RenderContext) {
        let rows = h.matrix.count, cols = h.matrix[0].count
        let lut = h.options.colormap.table()
        let span = h.vmax - h.vmin
        let rect = box.pixelRect.intersection(PixelRect(x0: 0, y0: 0, x1: raster.width, y1: raster.height))
        guard rect.x0 < rect.x1, rect.y0 < rect.y1 else { return }
        // Pixel centres → data → cell, nearest neighbour (imshow's default for small matrices).
        let ax = (xm.range.hi - xm.range.lo) / (xm.p1 - xm.p0)
        let ay = (ym.range.hi - ym.range.lo) / (ym.p1 - ym.p0)
        let colOf: [Int] = (rect.x0..<rect.x1).map { px in Int((xm.range.lo + (Double(px) + 0.5 - xm.p0) * ax + 0.5).rounded(.down)) }
        let w = raster.width
        for py in rect.y0..<rect.y1 {
            let r = Int((ym.range.lo + (Double(py) + 0.5 - ym.p0) * ay + 0.5).rounded(.down))
            guard r >= 0, r < rows else { continue }
            let row = h.matrix[r]
            for (k, c) in colOf.enumerated() where c >= 0 && c < cols {
                let t = span > 0 ? (row[c] - h.vmin) / span : 0.5
                let (cr, cg, cb) = lut[Int((min(max(t, 0), 1) * 255).rounded())]
                let i = (py * w + rect.x0 + k) * 4
                raster.pixels[i] = cr; raster.pixels[i + 1] = cg; raster.pixels[i + 2] = cb; raster.pixels[i + 3] = 255
            }
        }
        guard h.options.annotate else { return }
        let size = ctx.fontSize * 0.9
        for r in 0..<rows {
            for c in 0..<cols {
                let v = h.matrix[r][c]
                let t = span > 0 ? (v - h.vmin) / span : 0.5
                let bg = h.options.colormap.color(at: t)
                let lum = 0.2126 * bg.red + 0.7152 * bg.green + 0.0722 * bg.blue
                let s = String(format: h.options.format, v)
                ctx.text.draw([TextRun(text: s)], size: size, at: xm(Double(c)), ym(Double(r)), h: .center, v: .center,
                              color: lum < 0.5 ? .white : .black, into: &raster, clip: box.pixelRect)
            }
        }
    }

    private func drawText(_ t: TextElement, xm: AxisMap, ym: AxisMap, box: Box, clip: PixelRect, raster: inout Raster, ctx: RenderContext) {
        let x = xm(t.x), y = ym(t.y)
        let size = t.options.size * ctx.px
        let h: HAlign = t.options.align == .left ? .left : (t.options.align == .center ? .center : .right)
        let drawn = ctx.text.draw(t.text, size: size, at: x, y, h: h, v: .center, color: t.options.color,
                                  into: &raster, clip: nil)
        guard let a = t.options.arrowTo else { return }
        // The arrow starts at the text box edge nearest the target and ends just short of the point.
        let tx = xm(a.x), ty = ym(a.y)
        let sx = min(max(tx, drawn.x0 - 2), drawn.x1 + 2), sy = min(max(ty, drawn.y0 - 2), drawn.y1 + 2)
        let dx = tx - sx, dy = ty - sy
        let len = (dx * dx + dy * dy).squareRoot()
        guard len > 4 * ctx.px else { return }
        let ux = dx / len, uy = dy / len
        let head = 6 * ctx.px
        let end = Point(x: tx - ux * 2 * ctx.px, y: ty - uy * 2 * ctx.px)
        let base = Point(x: end.x - ux * head, y: end.y - uy * head)
        ctx.raster.strokePolyline([Point(x: sx, y: sy), base], width: 1 * ctx.px, dash: nil, squareCaps: false, bounds: Box(x0: 0, y0: 0, x1: Double(raster.width), y1: Double(raster.height)))
        ctx.raster.addPolygon([end, Point(x: base.x - uy * head * 0.4, y: base.y + ux * head * 0.4), Point(x: base.x + uy * head * 0.4, y: base.y - ux * head * 0.4)])
        ctx.raster.composite(into: &raster, color: t.options.color, clip: PixelRect(x0: 0, y0: 0, x1: raster.width, y1: raster.height))
    }

    private func drawSpinesAndTicks(_ frame: AxesFrame, xm: AxisMap, ym: AxisMap, raster: inout Raster, ctx: RenderContext) {
        let box = frame.box
        let R = ctx.raster
        let sw = ctx.spineWidth, h = sw / 2
        let all = PixelRect(x0: 0, y0: 0, x1: raster.width, y1: raster.height)
        R.addRect(x0: box.x0 - h, y0: box.y0 - h, x1: box.x0 + h, y1: box.y1 + h)
        R.addRect(x0: box.x1 - h, y0: box.y0 - h, x1: box.x1 + h, y1: box.y1 + h)
        R.addRect(x0: box.x0 + h, y0: box.y0 - h, x1: box.x1 - h, y1: box.y0 + h)
        R.addRect(x0: box.x0 + h, y0: box.y1 - h, x1: box.x1 - h, y1: box.y1 + h)
        for t in frame.xTicks.ticks {
            let x = ctx.snap(xm(t.value), width: sw)
            let len = t.major ? ctx.tickLength : ctx.minorTickLength
            R.addRect(x0: x - h, y0: box.y1 + h, x1: x + h, y1: box.y1 + h + len)
        }
        for t in frame.yTicks.ticks {
            let y = ctx.snap(ym(t.value), width: sw)
            let len = t.major ? ctx.tickLength : ctx.minorTickLength
            R.addRect(x0: box.x0 - h - len, y0: y - h, x1: box.x0 - h, y1: y + h)
        }
        R.composite(into: &raster, color: .ink, clip: all)

        let fs = ctx.fontSize
        let lineH = ctx.text.measure("0", size: fs).height
        let xLabelTop = box.y1 + ctx.tickLength + ctx.tickPad
        var xLabelsBottom = xLabelTop
        for t in frame.xTicks.ticks where !t.label.isEmpty {
            let b = ctx.text.draw(t.label, size: fs, at: xm(t.value), xLabelTop, h: frame.xTicks.rotated ? .right : .center,
                                  v: frame.xTicks.rotated ? .center : .top, rotated: frame.xTicks.rotated, color: .ink, into: &raster)
            xLabelsBottom = max(xLabelsBottom, b.y1)
        }
        var yLabelsLeft = box.x0 - ctx.tickLength - ctx.tickPad
        for t in frame.yTicks.ticks where !t.label.isEmpty {
            let b = ctx.text.draw(t.label, size: fs, at: box.x0 - ctx.tickLength - ctx.tickPad, ym(t.value), h: .right, v: .center,
                                  color: .ink, into: &raster)
            yLabelsLeft = min(yLabelsLeft, b.x0)
        }
        if let e = frame.xTicks.exponent {
            ctx.text.draw(Axes.exponentRuns(e), size: fs, at: box.x1, xLabelsBottom + ctx.labelPad, h: .right, v: .top, color: .ink, into: &raster)
        }
        if let e = frame.yTicks.exponent {
            ctx.text.draw(Axes.exponentRuns(e), size: fs, at: box.x0, box.y0 - ctx.labelPad, h: .left, v: .bottom, color: .ink, into: &raster)
        }
        if let l = xLabel, !l.isEmpty {
            let y = max(xLabelsBottom, xLabelTop + (frame.xTicks.ticks.isEmpty ? 0 : lineH)) + ctx.labelPad
            ctx.text.draw(l, size: fs, at: (box.x0 + box.x1) / 2, y, h: .center, v: .top, color: .ink, into: &raster)
        }
        if let l = yLabel, !l.isEmpty {
            ctx.text.draw(l, size: fs, at: yLabelsLeft - ctx.labelPad, (box.y0 + box.y1) / 2, h: .center, v: .bottom,
                          rotated: true, color: .ink, into: &raster)
        }
        if let t = title, !t.isEmpty {
            let lift = titleLift(box: box, yTicks: frame.yTicks, ctx: ctx)
            ctx.text.draw(t, size: ctx.titleSize, at: (box.x0 + box.x1) / 2, box.y0 - ctx.titlePad - lift, h: .center, v: .bottom,
                          color: .ink, into: &raster)
        }
    }

    static func exponentRuns(_ e: Int) -> [TextRun] {
        [TextRun(text: "\u{00D7}10"), TextRun(text: e < 0 ? "\u{2212}\(-e)" : "\(e)", scale: 0.7, rise: 0.42)]
    }

    private func drawColorbar(_ h: ColorbarSource, ticks: AxisTicks, box: Box, raster: inout Raster, ctx: RenderContext) {
        let (gap, w) = colorbarSize(box, ctx)
        let x0 = ctx.snap(box.x1 + gap, width: ctx.spineWidth), x1 = x0 + w
        let cb = Box(x0: x0, y0: box.y0, x1: x1, y1: box.y1)
        let rect = cb.pixelRect.intersection(PixelRect(x0: 0, y0: 0, x1: raster.width, y1: raster.height))
        let lut = h.colormap.table()
        if rect.y0 < rect.y1 && rect.x0 < rect.x1 {
            for py in rect.y0..<rect.y1 {
                let t = (cb.y1 - (Double(py) + 0.5)) / cb.height
                let (r, g, b) = lut[Int((min(max(t, 0), 1) * 255).rounded())]
                for px in rect.x0..<rect.x1 {
                    let i = (py * raster.width + px) * 4
                    raster.pixels[i] = r; raster.pixels[i + 1] = g; raster.pixels[i + 2] = b; raster.pixels[i + 3] = 255
                }
            }
        }
        let hi = h.vmax == h.vmin ? h.vmin + 1 : h.vmax
        let m = AxisMap(range: AxisRange(lo: h.vmin, hi: hi), scale: .linear, p0: cb.y1, p1: cb.y0)
        let sw = ctx.spineWidth, hw = sw / 2
        let R = ctx.raster
        R.addRect(x0: cb.x0 - hw, y0: cb.y0 - hw, x1: cb.x0 + hw, y1: cb.y1 + hw)
        R.addRect(x0: cb.x1 - hw, y0: cb.y0 - hw, x1: cb.x1 + hw, y1: cb.y1 + hw)
        R.addRect(x0: cb.x0 + hw, y0: cb.y0 - hw, x1: cb.x1 - hw, y1: cb.y0 + hw)
        R.addRect(x0: cb.x0 + hw, y0: cb.y1 - hw, x1: cb.x1 - hw, y1: cb.y1 + hw)
        for t in ticks.ticks {
            let y = ctx.snap(m(t.value), width: sw)
            R.addRect(x0: cb.x1 + hw, y0: y - hw, x1: cb.x1 + hw + ctx.tickLength, y1: y + hw)
        }
        R.composite(into: &raster, color: .ink, clip: PixelRect(x0: 0, y0: 0, x1: raster.width, y1: raster.height))
        var right = cb.x1
        for t in ticks.ticks where !t.label.isEmpty {
            let b = ctx.text.draw(t.label, size: ctx.fontSize, at: cb.x1 + ctx.tickLength + ctx.tickPad, m(t.value), h: .left, v: .center,
                                  color: .ink, into: &raster)
            right = max(right, b.x1)
        }
        if let e = ticks.exponent {
            ctx.text.draw(Axes.exponentRuns(e), size: ctx.fontSize, at: cb.x0, cb.y0 - ctx.labelPad, h: .left, v: .bottom, color: .ink, into: &raster)
        }
        if let l = h.label, !l.isEmpty {
            ctx.text.draw(l, size: ctx.fontSize, at: right + ctx.labelPad, (cb.y0 + cb.y1) / 2, h: .center, v: .top,
                          rotated: true, color: .ink, into: &raster)
        }
    }
}
