import Foundation

/// The ticks chosen for one axis at a given length.
struct AxisTicks {
    var ticks: [Tick] = []
    /// Shared power of ten of the labels (drawn as ×10ⁿ at the end of the axis).
    var exponent: Int?
    /// Category labels turned to read upwards because they did not fit side by side.
    var rotated = false
}

/// Space around an axes box taken by its ticks, labels, title and colour bar, in pixels.
struct Margins {
    var left = 0.0, right = 0.0, top = 0.0, bottom = 0.0
}

/// Everything decided about one axes before drawing.
struct AxesFrame {
    var box: Box
    var xRange: AxisRange
    var yRange: AxisRange
    var xTicks: AxisTicks
    var yTicks: AxisTicks
    var colorbarTicks: AxisTicks?
    var margins: Margins

    var xMap: AxisMap { AxisMap(range: xRange, scale: .linear, p0: box.x0, p1: box.x1) }
}

extension Axes {
    /// What the colour bar shows: the last heatmap or value-coloured scatter that asks for one.
    var colorbarSource: ColorbarSource? {
        var found: ColorbarSource? = nil
        for e in elements {
            switch e {
            case .heatmap(let h) where h.options.colorbar:
                found = ColorbarSource(colormap: h.options.colormap, vmin: h.vmin, vmax: h.vmax, label: h.options.colorbarLabel)
            case .scatter(let s) where s.options.colorbar && s.valueRange != nil:
                found = ColorbarSource(colormap: s.options.colormap, vmin: s.valueRange!.0, vmax: s.valueRange!.1, label: s.options.colorbarLabel)
            default:
                break
            }
        }
        return found
    }

    /// Colour bar geometry right of the box: gap, bar width.
    func colorbarSize(_ box: Box, _ ctx: RenderContext) -> (gap: Double, width: Double) {
        (max(6 * ctx.px, box.width * 0.03), max(8 * ctx.px, box.height / 20).rounded())
    }

    /// How far the title must rise to clear the y axis ×10ⁿ note at the top left (0 when they do not meet).
    func titleLift(box: Box, yTicks: AxisTicks, ctx: RenderContext) -> Double {
        guard let e = yTicks.exponent, let t = title, !t.isEmpty else { return 0 }
        let noteRight = box.x0 + ctx.text.measure(Axes.exponentRuns(e), size: ctx.fontSize).width
        let titleLeft = (box.x0 + box.x1) / 2 - ctx.text.measure(t, size: ctx.titleSize).width / 2
        return titleLeft < noteRight + ctx.fontSize ? ctx.text.measure("0", size: ctx.fontSize).height : 0
    }

    /// Ticks and margins for this axes drawn in `box`.
    func frame(box: Box, ranges: (x: AxisRange, y: AxisRange), ctx: RenderContext) -> AxesFrame {
        let xt = Axes.ticks(range: ranges.x, scale: xScale, explicit: xTickOverride, length: box.width, horizontal: true, ctx: ctx)
        let yt = Axes.ticks(range: ranges.y, scale: yScale, explicit: yTickOverride, length: box.height, horizontal: false, ctx: ctx)
        var m = Margins()
        let fs = ctx.fontSize
        let lineH = ctx.text.measure("0", size: fs).height
        // Left: y tick labels, then the y label.
        let yLabelW = yt.ticks.map { ctx.text.measure($0.label, size: fs).width }.max() ?? 0
        m.left = ctx.tickLength + ctx.tickPad + yLabelW
        if let l = yLabel, !l.isEmpty { m.left += ctx.labelPad + ctx.text.measure(l, size: fs).height }
        // Bottom: x tick labels (upright or turned), then the x label or the ×10ⁿ note.
        let xLabelH: Double = xt.rotated
            ? (xt.ticks.map { ctx.text.measure($0.label, size: fs).width }.max() ?? 0)
            : (xt.ticks.contains { !$0.label.isEmpty } ? lineH : 0)
        m.bottom = ctx.tickLength + ctx.tickPad + xLabelH
        if let l = xLabel, !l.isEmpty { m.bottom += ctx.labelPad + ctx.text.measure(l, size: fs).height }
        else if xt.exponent != nil { m.bottom += ctx.labelPad + lineH }
        // Top: the title, or the y axis ×10ⁿ note; at least half a label where the top y tick sits.
        m.top = lineH / 2
        if yt.exponent != nil { m.top = max(m.top, lineH + ctx.labelPad) }
        if let t = title, !t.isEmpty {
            m.top = max(m.top, ctx.titlePad + ctx.text.measure(t, size: ctx.titleSize).height + titleLift(box: box, yTicks: yt, ctx: ctx))
        }
        // Right: half of an x tick label that overhangs the end, or the colour bar and its labels.
        let xmap = AxisMap(range: ranges.x, scale: xScale, p0: box.x0, p1: box.x1)
        var overhang = 0.0
        if !xt.rotated {
            for t in xt.ticks where !t.label.isEmpty {
                let w = ctx.text.measure(t.label, size: fs).width
                overhang = max(overhang, xmap(t.value) + w / 2 - box.x1)
                m.left = max(m.left, box.x0 - (xmap(t.value) - w / 2))
            }
        }
        if xt.exponent != nil { overhang = max(overhang, 0) }
        m.right = max(overhang, 0) + 2
        var cbTicks: AxisTicks? = nil
        if let h = colorbarSource {
            let (gap, w) = colorbarSize(box, ctx)
            let t = Axes.ticks(range: AxisRange(lo: h.vmin, hi: h.vmax == h.vmin ? h.vmin + 1 : h.vmax), scale: .linear,
                               explicit: nil, length: box.height, horizontal: false, ctx: ctx)
            let lw = t.ticks.map { ctx.text.measure($0.label, size: fs).width }.max() ?? 0
            var r = gap + w + ctx.tickLength + ctx.tickPad + lw
            if let l = h.label, !l.isEmpty { r += ctx.labelPad + ctx.text.measure(l, size: fs).height }
            m.right = max(m.right, r + 2)
            if t.exponent != nil { m.top = max(m.top, lineH + ctx.labelPad) }
            cbTicks = t
        }
        return AxesFrame(box: box, xRange: ranges.x, yRange: ranges.y, xTicks: xt, yTicks: yt, colorbarTicks: cbTicks, margins: m)
    }

    /// Picks ticks so that their labels never overlap: fewer intervals until they fit; category labels
    /// turn upright (x axis) or thin out.
    static func ticks(range: AxisRange, scale: AxisScale, explicit: [(Double, String)]?, length: Double, horizontal: Bool, ctx: RenderContext) -> AxisTicks {
        let fs = ctx.fontSize
        let map = AxisMap(range: range, scale: scale, p0: 0, p1: length)
        let gap = 0.5 * fs
        func fits(_ ticks: [Tick], rotated: Bool) -> Bool {
            let labelled = ticks.filter { !$0.label.isEmpty }.map { t -> (Double, Double) in
                let s = ctx.text.measure(t.label, size: fs)
                return (map(t.value), (horizontal && !rotated) ? s.width : s.height)
            }.sorted { $0.0 < $1.0 }
            guard labelled.count >= 2 else { return true }
            for i in 1..<labelled.count {
                let need = (labelled[i - 1].1 + labelled[i].1) / 2 + (horizontal && !rotated ? gap : 2)
                if labelled[i].0 - labelled[i - 1].0 < need { return false }
            }
            return true
        }
        if let fixed = explicit, !fixed.isEmpty {
            let visible = fixed.indices.filter { map.contains(fixed[$0].0) }
            let cats = fixed
            func make(_ every: Int) -> [Tick] {
                // Thinned categories keep only their labelled ticks: a comb of bare ticks reads as noise.
                visible.filter { $0 % every == 0 }.map { i in Tick(value: cats[i].0, label: [TextRun(text: cats[i].1)], major: true) }
            }
            if fits(make(1), rotated: false) { return AxisTicks(ticks: make(1)) }
            let rotated = horizontal
            var every = 1
            while every < max(1, cats.count) && !fits(make(every), rotated: rotated) { every += 1 }
            return AxisTicks(ticks: make(every), exponent: nil, rotated: rotated)
        }
        let span = length / (fs * (horizontal ? 3 : 2))
        var n = min(9, max(1, Int(span)))
        if scale == .log {
            while true {
                let t = TickLocator.log(lo: range.lo, hi: range.hi, maxIntervals: n)
                if fits(t, rotated: false) || n == 1 { return AxisTicks(ticks: t) }
                n -= 1
            }
        }
        while true {
            let values = TickLocator.linear(lo: range.lo, hi: range.hi, maxIntervals: n)
            let (labels, exponent) = TickLocator.labels(for: values)
            let ticks = zip(values, labels).map { Tick(value: $0, label: [TextRun(text: $1)], major: true) }
            if fits(ticks, rotated: false) || n == 1 { return AxisTicks(ticks: ticks, exponent: exponent) }
            n -= 1
        }
    }
}

/// The colour scale a colour bar explains.
struct ColorbarSource {
    var colormap: Colormap
    var vmin: Double
    var vmax: Double
    var label: String?
}
