/// What drawing needs at hand: the text renderer, one shared rasterizer and the point→pixel factor.
final class RenderContext {
    let text: TextRenderer
    let raster: CoverageRasterizer
    /// Pixels per point: dpi / 72 × the high-resolution scale.
    let px: Double

    init(text: TextRenderer, width: Int, height: Int, pixelsPerPoint: Double) {
        self.text = text
        raster = CoverageRasterizer(width: width, height: height)
        px = pixelsPerPoint
    }

    /// Matplotlib strokes markers with a 1 pt edge of their own colour; a marker's ink is that much wider.
    static let markerEdge = 1.0

    // Matplotlib's default sizes, in pixels.
    var fontSize: Double { 10 * px }
    var titleSize: Double { 12 * px }
    var figureTitleSize: Double { 12 * px }
    var tickLength: Double { 3.5 * px }
    var minorTickLength: Double { 2 * px }
    var tickPad: Double { 3.5 * px }
    var labelPad: Double { 4 * px }
    var titlePad: Double { 6 * px }
    /// Spines and ticks are whole pixels wide so they stay crisp.
    var spineWidth: Double { max(1, (0.8 * px).rounded()) }
    var gridWidth: Double { max(1, (0.8 * px).rounded()) }

    /// Snaps a line position so a line `width` px wide covers whole pixels.
    func snap(_ p: Double, width: Double) -> Double {
        let w = Int(width.rounded())
        return w % 2 == 1 ? p.rounded(.down) + 0.5 : p.rounded()
    }
}
