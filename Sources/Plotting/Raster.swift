/// An RGBA image: 8 bits per channel, straight alpha, rows top to bottom. The REPL shows this buffer
/// inline; `PNGCodec` writes it.
public struct Raster: Equatable, Sendable {
    public let width: Int
    public let height: Int
    /// width × height × 4 bytes: R, G, B, A of each pixel, row by row from the top.
    public var pixels: [UInt8]

    init(width: Int, height: Int, background: Color = .white) {
        self.width = width
        self.height = height
        let px = Raster.bytes(background)
        var buf = [UInt8](repeating: 0, count: width * height * 4)
        for i in stride(from: 0, to: buf.count, by: 4) {
            buf[i] = px.0; buf[i + 1] = px.1; buf[i + 2] = px.2; buf[i + 3] = px.3
        }
        pixels = buf
    }

    public init(width: Int, height: Int, pixels: [UInt8]) throws {
        guard width > 0, height > 0, pixels.count == width * height * 4 else {
            throw PlotError.invalidArgument("raster", "\(width)×\(height) needs \(width * height * 4) bytes, got \(pixels.count)")
        }
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// The pixel at column x, row y (0,0 is the top left); both must lie inside the image.
    public subscript(x: Int, y: Int) -> Color {
        let i = (y * width + x) * 4
        return Color(red: Double(pixels[i]) / 255, green: Double(pixels[i + 1]) / 255,
                     blue: Double(pixels[i + 2]) / 255, alpha: Double(pixels[i + 3]) / 255)
    }

    static func bytes(_ c: Color) -> (UInt8, UInt8, UInt8, UInt8) {
        func b(_ v: Double) -> UInt8 { UInt8((min(max(v, 0), 1) * 255).rounded()) }
        return (b(c.red), b(c.green), b(c.blue), b(c.alpha))
    }

    /// Blends `color` with coverage `cov` (0…1) over pixel index `i` (byte offset).
    @inline(__always)
    static func blend(_ p: UnsafeMutablePointer<UInt8>, _ r: Float, _ g: Float, _ b: Float, _ a: Float) {
        let da = Float(p[3])
        if da >= 255 || a >= 1 {
            let k = 1 - a
            p[0] = UInt8(Float(p[0]) * k + r * a + 0.5)
            p[1] = UInt8(Float(p[1]) * k + g * a + 0.5)
            p[2] = UInt8(Float(p[2]) * k + b * a + 0.5)
            if a >= 1 { p[3] = 255 }
        } else {
            let dA = da / 255
            let outA = a + dA * (1 - a)
            if outA <= 0 { return }
            let k = dA * (1 - a)
            p[0] = UInt8((r * a + Float(p[0]) * k) / outA + 0.5)
            p[1] = UInt8((g * a + Float(p[1]) * k) / outA + 0.5)
            p[2] = UInt8((b * a + Float(p[2]) * k) / outA + 0.5)
            p[3] = UInt8(outA * 255 + 0.5)
        }
    }

    /// Fills an axis-aligned integer rectangle (clipped to the image) with `color`.
    mutating func fill(x0: Int, y0: Int, x1: Int, y1: Int, color: Color) {
        let xa = max(0, x0), xb = min(width, x1), ya = max(0, y0), yb = min(height, y1)
        guard xa < xb, ya < yb else { return }
        let r = Float(color.red * 255), g = Float(color.green * 255), b = Float(color.blue * 255)
        let a = Float(min(max(color.alpha, 0), 1))
        let w = width
        pixels.withUnsafeMutableBufferPointer { buf in
            guard let base = buf.baseAddress else { return }
            for y in ya..<yb {
                for x in xa..<xb { Raster.blend(base + (y * w + x) * 4, r, g, b, a) }
            }
        }
    }

    /// Blends an 8-bit coverage mask (mask width × height) at (x, y) with `color`, clipped to `clip`.
    mutating func blend(mask: [UInt8], maskWidth: Int, maskHeight: Int, x: Int, y: Int, color: Color, clip: PixelRect) {
        let r = Float(color.red * 255), g = Float(color.green * 255), b = Float(color.blue * 255)
        let alpha = Float(min(max(color.alpha, 0), 1)) / 255
        let c = clip.intersection(PixelRect(x0: 0, y0: 0, x1: width, y1: height))
        let w = width
        pixels.withUnsafeMutableBufferPointer { buf in
            guard let base = buf.baseAddress else { return }
            for my in 0..<maskHeight {
                let py = y + my
                if py < c.y0 || py >= c.y1 { continue }
                for mx in 0..<maskWidth {
                    let px = x + mx
                    if px < c.x0 || px >= c.x1 { continue }
                    let m = mask[my * maskWidth + mx]
                    if m == 0 { continue }
                    Raster.blend(base + (py * w + px) * 4, r, g, b, Float(m) * alpha)
                }
            }
        }
    }
}

/// A half-open pixel rectangle [x0, x1) × [y0, y1).
struct PixelRect: Equatable {
    var x0: Int, y0: Int, x1: Int, y1: Int

    func intersection(_ o: PixelRect) -> PixelRect {
        PixelRect(x0: max(x0, o.x0), y0: max(y0, o.y0), x1: min(x1, o.x1), y1: min(y1, o.y1))
    }
}
