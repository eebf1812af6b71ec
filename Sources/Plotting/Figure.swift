import Foundation

public struct FigureOptions: Sendable {
    /// Size in pixels at scale 1 (matplotlib's 6.4 × 4.8 inches at 100 dpi).
    public var width: Int
    public var height: Int
    /// Points per inch / 72 gives the pixels of a point: text, line widths and markers scale with it.
    public var dpi: Double
    /// Pixel multiplier for high-resolution output: 2 renders 1280×960 with everything twice as large.
    public var scale: Double
    /// A title above all subplots.
    public var title: String?
    /// The subplot grid.
    public var rows: Int
    public var cols: Int
    public var background: Color
    /// A .ttf file; nil uses DejaVu Sans ($GFN_FONT overrides).
    public var fontPath: String?

    public init(width: Int = 640, height: Int = 480, dpi: Double = 100, scale: Double = 1, title: String? = nil,
                rows: Int = 1, cols: Int = 1, background: Color = .white, fontPath: String? = nil) {
        self.width = width
        self.height = height
        self.dpi = dpi
        self.scale = scale
        self.title = title
        self.rows = rows
        self.cols = cols
        self.background = background
        self.fontPath = fontPath
    }

    func validate() throws {
        guard width >= 32, width <= 16384 else { throw PlotError.invalidArgument("width", "must be 32…16384 pixels, got \(width)") }
        guard height >= 32, height <= 16384 else { throw PlotError.invalidArgument("height", "must be 32…16384 pixels, got \(height)") }
        guard dpi.isFinite, dpi >= 10, dpi <= 2000 else { throw PlotError.invalidArgument("dpi", "must be 10…2000, got \(dpi)") }
        guard scale.isFinite, scale >= 0.25, scale <= 8 else { throw PlotError.invalidArgument("scale", "must be 0.25…8, got \(scale)") }
        guard Double(width) * scale <= 16384, Double(height) * scale <= 16384 else {
            throw PlotError.invalidArgument("scale", "\(width)×\(height) at scale \(scale) exceeds 16384 pixels")
        }
        guard Double(width) * scale * Double(height) * scale <= 64_000_000 else {
            throw PlotError.invalidArgument("scale", "\(width)×\(height) at scale \(scale) is over 64 million pixels")
        }
        guard rows >= 1, rows <= 16 else { throw PlotError.invalidArgument("rows", "must be 1…16, got \(rows)") }
        guard cols >= 1, cols <= 16 else { throw PlotError.invalidArgument("cols", "must be 1…16, got \(cols)") }
    }
}

/// A figure: a grid of `Axes` drawn to an RGBA raster, PNG bytes or a PNG file. Layout is "tight":
/// margins come from the measured sizes of tick labels, axis labels, titles and colour bars.
///
///     let fig = try Figure(title: "Training")
///     try fig.axes.line(loss, LineOptions(label: "loss", smoothing: 0.9))
///     try fig.save("plots/loss.png")
public final class Figure {
    /// Fixed at creation (the subplot grid depends on it); only `title` can change afterwards.
    public private(set) var options: FigureOptions
    /// Subplots in row-major order.
    public let subplots: [Axes]

    public init(_ options: FigureOptions = FigureOptions()) throws {
        try options.validate()
        self.options = options
        subplots = (0..<(options.rows * options.cols)).map { _ in Axes() }
    }

    public convenience init(width: Int = 640, height: Int = 480, title: String? = nil, rows: Int = 1, cols: Int = 1, scale: Double = 1) throws {
        try self.init(FigureOptions(width: width, height: height, scale: scale, title: title, rows: rows, cols: cols))
    }

    public var title: String? {
        get { options.title }
        set { options.title = newValue }
    }

    /// The first (or only) subplot.
    public var axes: Axes { subplots[0] }

    /// The subplot at (row, col), both from 0.
    public func axes(row: Int, col: Int) throws -> Axes {
        guard row >= 0, row < options.rows, col >= 0, col < options.cols else {
            throw PlotError.invalidArgument("subplot", "(\(row), \(col)) is outside the \(options.rows)×\(options.cols) grid")
        }
        return subplots[row * options.cols + col]
    }

    /// Pixel size of the output.
    public var pixelWidth: Int { Int((Double(options.width) * options.scale).rounded()) }
    public var pixelHeight: Int { Int((Double(options.height) * options.scale).rounded()) }

    func prepare() throws -> (RenderContext, [AxesFrame]) {
        try options.validate()
        let W = pixelWidth, H = pixelHeight
        let text = try TextRenderer(path: options.fontPath ?? TextRenderer.defaultFontPath)
        let ctx = RenderContext(text: text, width: W, height: H, pixelsPerPoint: options.dpi / 72 * options.scale)
        return (ctx, try layout(ctx: ctx, width: Double(W), height: Double(H)))
    }

    /// The plot area (inside the spines) of subplot (row, col) in output pixels, as `render` lays it out.
    public func plotArea(row: Int = 0, col: Int = 0) throws -> (x0: Double, y0: Double, x1: Double, y1: Double) {
        _ = try axes(row: row, col: col)
        let (_, frames) = try prepare()
        let b = frames[row * options.cols + col].box
        return (b.x0, b.y0, b.x1, b.y1)
    }

    /// Where the data point (x, y) of subplot (row, col) lands in output pixels (fractional; the pixel
    /// that holds it is the integer part).
    public func pixelPosition(x: Double, y: Double, row: Int = 0, col: Int = 0) throws -> (x: Double, y: Double) {
        let ax = try axes(row: row, col: col)
        let (_, frames) = try prepare()
        let f = frames[row * options.cols + col]
        let xm = AxisMap(range: f.xRange, scale: ax.xScale, p0: f.box.x0, p1: f.box.x1)
        let ym = AxisMap(range: f.yRange, scale: ax.yScale, p0: f.box.y1, p1: f.box.y0)
        return (xm(x), ym(y))
    }

    /// Draws the figure.
    public func render() throws -> Raster {
        let (ctx, frames) = try prepare()
        let W = pixelWidth, H = pixelHeight
        let text = ctx.text
        var raster = Raster(width: W, height: H, background: options.background)
        if let t = options.title, !t.isEmpty {
            text.draw(t, size: ctx.figureTitleSize, at: Double(W) / 2, 1.08 * ctx.fontSize * 0.6, h: .center, v: .top, color: .ink, into: &raster)
        }
        for (axes, frame) in zip(subplots, frames) {
            axes.draw(frame, into: &raster, ctx: ctx)
        }
        return raster
    }

    /// Tight layout: each column gets the widest left/right decorations of its subplots, each row the
    /// tallest top/bottom ones, and the rest is split evenly between the axes boxes. Tick counts depend
    /// on box sizes, so this runs three rounds.
    private func layout(ctx: RenderContext, width W: Double, height H: Double) throws -> [AxesFrame] {
        let rows = options.rows, cols = options.cols
        let pad = 1.08 * ctx.fontSize * 0.6
        let gap = 1.08 * ctx.fontSize
        var topTitle = 0.0
        if let t = options.title, !t.isEmpty {
            topTitle = ctx.text.measure(t, size: ctx.figureTitleSize).height + 0.8 * ctx.fontSize
        }
        let ranges = try subplots.map { try $0.resolveLimits() }
        var boxes: [Box] = (0..<subplots.count).map { i in
            let r = i / cols, c = i % cols
            let cw = W / Double(cols), ch = (H - topTitle) / Double(rows)
            return Box(x0: Double(c) * cw + cw * 0.15, y0: topTitle + Double(r) * ch + ch * 0.1,
                       x1: Double(c + 1) * cw - cw * 0.05, y1: topTitle + Double(r + 1) * ch - ch * 0.12)
        }
        var frames: [AxesFrame] = []
        for _ in 0..<3 {
            frames = zip(subplots, zip(boxes, ranges)).map { $0.frame(box: $1.0, ranges: $1.1, ctx: ctx) }
            var left = [Double](repeating: 0, count: cols), right = left
            var top = [Double](repeating: 0, count: rows), bottom = top
            for (i, f) in frames.enumerated() {
                let r = i / cols, c = i % cols
                left[c] = max(left[c], f.margins.left)
                right[c] = max(right[c], f.margins.right)
                top[r] = max(top[r], f.margins.top)
                bottom[r] = max(bottom[r], f.margins.bottom)
            }
            let axW = (W - 2 * pad - left.reduce(0, +) - right.reduce(0, +) - Double(cols - 1) * gap) / Double(cols)
            let axH = (H - 2 * pad - topTitle - top.reduce(0, +) - bottom.reduce(0, +) - Double(rows - 1) * gap) / Double(rows)
            guard axW >= 16, axH >= 16 else {
                throw PlotError.invalidArgument("figure", "\(Int(W))×\(Int(H)) px is too small for \(rows)×\(cols) subplots with these labels")
            }
            var newBoxes: [Box] = []
            for i in 0..<subplots.count {
                let r = i / cols, c = i % cols
                var x = pad
                for k in 0..<c { x += left[k] + axW + right[k] + gap }
                x += left[c]
                var y = pad + topTitle
                for k in 0..<r { y += top[k] + axH + bottom[k] + gap }
                y += top[r]
                let sw = ctx.spineWidth
                newBoxes.append(Box(x0: ctx.snap(x, width: sw), y0: ctx.snap(y, width: sw),
                                    x1: ctx.snap(x + axW, width: sw), y1: ctx.snap(y + axH, width: sw)))
            }
            boxes = newBoxes
        }
        return zip(subplots, zip(boxes, ranges)).map { $0.frame(box: $1.0, ranges: $1.1, ctx: ctx) }
    }

    /// The PNG file bytes (RGBA, no timestamp: the same figure gives the same bytes).
    public func pngData() throws -> [UInt8] {
        try PNGCodec.encode(render())
    }

    /// Renders and writes a PNG file, creating missing parent directories.
    public func save(_ path: String) throws {
        let raster = try render()
        let dir = (path as NSString).deletingLastPathComponent
        if !dir.isEmpty && !FileManager.default.fileExists(atPath: dir) {
            do {
                try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            } catch {
                throw PlotError.io(path, "cannot create the directory \(dir): \(error.localizedDescription)")
            }
        }
        try PNGCodec.write(raster, to: path)
    }

    // MARK: One-liners on the first subplot

    /// `Figure` forwards the common calls to its first subplot, so `fig.line(ys)` works.
    public func line(_ y: [Double], x: [Double]? = nil, _ options: LineOptions = LineOptions()) throws {
        try axes.line(y, x: x, options)
    }

    public func scatter(x: [Double], y: [Double], _ options: ScatterOptions = ScatterOptions()) throws {
        try axes.scatter(x: x, y: y, options)
    }

    @discardableResult
    public func hist(_ values: [Double], _ options: HistogramOptions = HistogramOptions()) throws -> Histogram {
        try axes.hist(values, options)
    }
}
