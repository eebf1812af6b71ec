import Foundation
@testable import Plotting

/// Helpers for reading rendered figures back: every test decodes the PNG bytes it checks.
enum TestImage {
    static func decodePNG(of fig: Figure) throws -> Raster {
        try PNGCodec.decode(fig.pngData())
    }

    /// Whether a pixel is (nearly) the white background.
    static func isBackground(_ r: Raster, _ x: Int, _ y: Int) -> Bool {
        let c = r[x, y]
        return c.red > 0.97 && c.green > 0.97 && c.blue > 0.97
    }

    /// Count of non-background pixels in the rectangle [x0, x1) × [y0, y1), clipped to the image.
    static func inkCount(_ r: Raster, x0: Int, y0: Int, x1: Int, y1: Int) -> Int {
        var n = 0
        for y in max(0, y0)..<min(r.height, y1) {
            for x in max(0, x0)..<min(r.width, x1) where !isBackground(r, x, y) { n += 1 }
        }
        return n
    }
}
