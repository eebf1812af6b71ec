import CFreeType
import Foundation

/// A piece of text at one size and baseline shift: how tick labels write "10" with a raised "3".
struct TextRun {
    var text: String
    var scale: Double = 1
    /// Raise above the baseline, as a fraction of the full font size.
    var rise: Double = 0
}

/// Text rendered to an 8-bit coverage mask. The layout box (advance width × ascent+descent) starts
/// `margin` pixels inside the mask on every side, so ink that overhangs the box is kept.
struct TextMask {
    let width: Int
    let height: Int
    let margin: Int
    /// Layout box size in pixels.
    let boxWidth: Int
    let boxHeight: Int
    /// Baseline position from the top of the box.
    let ascent: Int
    let coverage: [UInt8]
}

/// Where an anchor point sits on a text's box.
enum HAlign { case left, center, right }
enum VAlign { case top, center, baseline, bottom }

/// Renders text with FreeType (anti-aliased, light hinting, kerning). Glyph bitmaps are cached per size.
final class TextRenderer {
    /// The default font: DejaVu Sans from Debian's fonts-dejavu-core; $GFN_FONT overrides it.
    static var defaultFontPath: String {
        ProcessInfo.processInfo.environment["GFN_FONT"] ?? "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
    }

    private struct Glyph {
        let index: UInt32
        let width: Int, rows: Int, left: Int, top: Int
        let advance: Double
        let bitmap: [UInt8]
    }

    private struct Key: Hashable {
        let size: Int
        let scalar: UInt32
    }

    private var library: FT_Library?
    private var face: FT_Face?
    private let path: String
    private var currentSize = -1
    private var cache: [Key: Glyph] = [:]
    private let hasKerning: Bool

    init(path: String = TextRenderer.defaultFontPath) throws {
        self.path = path
        guard FileManager.default.fileExists(atPath: path) else { throw PlotError.fontMissing(path) }
        var lib: FT_Library?
        let e1 = FT_Init_FreeType(&lib)
        guard e1 == 0, lib != nil else { throw PlotError.fontUnreadable(path, code: e1) }
        library = lib
        var f: FT_Face?
        let e2 = FT_New_Face(lib, path, 0, &f)
        guard e2 == 0, let f else {
            FT_Done_FreeType(lib)
            library = nil
            throw PlotError.fontUnreadable(path, code: e2)
        }
        face = f
        hasKerning = (f.pointee.face_flags & FT_Long(FT_FACE_FLAG_KERNING)) != 0
    }

    deinit {
        if let face { FT_Done_Face(face) }
        if let library { FT_Done_FreeType(library) }
    }

    /// Sizes are kept in 1/64 px, FreeType's 26.6 fixed point.
    private func select(_ size: Double) -> Int {
        let s = max(1, Int((size * 64).rounded()))
        if s != currentSize, let face {
            FT_Set_Char_Size(face, 0, FT_F26Dot6(s), 72, 72)
            currentSize = s
        }
        return s
    }

    private func glyph(_ scalar: Unicode.Scalar, size: Double) -> Glyph? {
        let s = select(size)
        let key = Key(size: s, scalar: scalar.value)
        if let g = cache[key] { return g }
        guard let face else { return nil }
        let index = FT_Get_Char_Index(face, FT_ULong(scalar.value))
        // Light hinting (FT_LOAD_TARGET_LIGHT) keeps glyph shapes close to their design, like matplotlib.
        let flags = Int32(FT_LOAD_RENDER) | Int32(1 << 16)
        guard FT_Load_Glyph(face, index, flags) == 0, let slot = face.pointee.glyph else { return nil }
        let bm = slot.pointee.bitmap
        let w = Int(bm.width), rows = Int(bm.rows), pitch = Int(bm.pitch)
        var bitmap = [UInt8](repeating: 0, count: w * rows)
        if let buf = bm.buffer, w > 0, rows > 0 {
            for y in 0..<rows {
                let src = pitch >= 0 ? buf + y * pitch : buf + (rows - 1 - y) * (-pitch)
                for x in 0..<w { bitmap[y * w + x] = src[x] }
            }
        }
        let g = Glyph(index: index, width: w, rows: rows, left: Int(slot.pointee.bitmap_left),
                      top: Int(slot.pointee.bitmap_top), advance: Double(slot.pointee.advance.x) / 64,
                      bitmap: bitmap)
        cache[key] = g
        return g
    }

    private func kerning(_ left: UInt32, _ right: UInt32, size: Double) -> Double {
        guard hasKerning, let face, left != 0, right != 0 else { return 0 }
        _ = select(size)
        var v = FT_Vector()
        guard FT_Get_Kerning(face, left, right, FT_KERNING_DEFAULT.rawValue, &v) == 0 else { return 0 }
        return Double(v.x) / 64
    }

    /// Ascent and descent (both positive) of the font at this pixel size.
    func lineMetrics(size: Double) -> (ascent: Double, descent: Double) {
        guard let face else { return (size * 0.76, size * 0.24) }
        let units = Double(face.pointee.units_per_EM)
        return (Double(face.pointee.ascender) / units * size, -Double(face.pointee.descender) / units * size)
    }

    /// Pen positions of each glyph of a run list, and the total advance.
    private func layoutGlyphs(_ runs: [TextRun], size: Double) -> (placed: [(Glyph, Double, Double)], advance: Double) {
        var placed: [(Glyph, Double, Double)] = []
        var pen = 0.0
        for run in runs {
            let sz = size * run.scale
            var prev: UInt32 = 0
            // Control characters (tabs, stray newlines) have no glyph worth drawing: FreeType would draw a box.
            for scalar in run.text.unicodeScalars where scalar.value >= 32 {
                guard let g = glyph(scalar, size: sz) else { continue }
                pen += kerning(prev, g.index, size: sz)
                placed.append((g, pen, run.rise * size))
                pen += g.advance
                prev = g.index
            }
        }
        return (placed, pen)
    }

    /// Width and height of the layout box in pixels.
    func measure(_ runs: [TextRun], size: Double) -> (width: Double, height: Double) {
        let (_, adv) = layoutGlyphs(runs, size: size)
        let m = lineMetrics(size: size)
        let rise = runs.map { $0.rise * size }.max() ?? 0
        return (adv, (m.ascent + rise).rounded(.up) + m.descent.rounded(.up))
    }

    /// Multi-line text ("\n") stacks lines 1.2 font sizes apart, as matplotlib does.
    func measure(_ text: String, size: Double) -> (width: Double, height: Double) {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        if lines.count == 1 { return measure([TextRun(text: text)], size: size) }
        let sizes = lines.map { measure([TextRun(text: String($0))], size: size) }
        return (sizes.map(\.width).max() ?? 0, Double(lines.count - 1) * lineStep(size) + (sizes.last?.height ?? 0))
    }

    private func lineStep(_ size: Double) -> Double { (size * 1.2).rounded() }

    /// A mask of several lines, each aligned left, centred or right within the widest.
    private func renderLines(_ text: String, size: Double, align: HAlign) -> TextMask {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.count == 1 { return render([TextRun(text: text)], size: size) }
        let masks = lines.map { render([TextRun(text: $0)], size: size) }
        let step = Int(lineStep(size))
        let margin = masks[0].margin
        let boxW = masks.map(\.boxWidth).max() ?? 0
        let boxH = (lines.count - 1) * step + masks[masks.count - 1].boxHeight
        let w = boxW + 2 * margin, h = boxH + 2 * margin
        var cov = [UInt8](repeating: 0, count: w * h)
        for (i, m) in masks.enumerated() {
            let dx = align == .left ? 0 : (align == .center ? (boxW - m.boxWidth) / 2 : boxW - m.boxWidth)
            let dy = i * step
            for y in 0..<m.height where y + dy < h {
                for x in 0..<m.width where x + dx < w {
                    let v = m.coverage[y * m.width + x]
                    if v == 0 { continue }
                    let j = (y + dy) * w + x + dx
                    cov[j] = max(cov[j], v)
                }
            }
        }
        return TextMask(width: w, height: h, margin: margin, boxWidth: boxW, boxHeight: boxH, ascent: masks[0].ascent, coverage: cov)
    }

    func render(_ runs: [TextRun], size: Double) -> TextMask {
        let (placed, adv) = layoutGlyphs(runs, size: size)
        let m = lineMetrics(size: size)
        let rise = runs.map { $0.rise * size }.max() ?? 0
        let ascent = Int((m.ascent + rise).rounded(.up))
        let boxW = Int(adv.rounded(.up)), boxH = ascent + Int(m.descent.rounded(.up))
        let margin = Int((size * 0.3).rounded(.up)) + 1
        let w = boxW + 2 * margin, h = boxH + 2 * margin
        var cov = [UInt8](repeating: 0, count: w * h)
        for (g, penX, lift) in placed {
            let ox = margin + Int(penX.rounded()) + g.left
            let oy = margin + ascent - Int(lift.rounded()) - g.top
            for y in 0..<g.rows {
                let ty = oy + y
                if ty < 0 || ty >= h { continue }
                for x in 0..<g.width {
                    let tx = ox + x
                    if tx < 0 || tx >= w { continue }
                    let v = g.bitmap[y * g.width + x]
                    if v == 0 { continue }
                    let i = ty * w + tx
                    cov[i] = UInt8(min(255, Int(cov[i]) + Int(v)))
                }
            }
        }
        return TextMask(width: w, height: h, margin: margin, boxWidth: boxW, boxHeight: boxH, ascent: ascent, coverage: cov)
    }

    /// Draws text anchored at (x, y) in pixels. `rotated` turns it 90° anticlockwise (reading upwards);
    /// alignment then refers to the rotated box. Returns the box drawn (for layout checks and tests).
    @discardableResult
    func draw(_ runs: [TextRun], size: Double, at x: Double, _ y: Double, h: HAlign, v: VAlign,
              rotated: Bool = false, color: Color, into raster: inout Raster, clip: PixelRect? = nil) -> Box {
        draw(mask: render(runs, size: size), at: x, y, h: h, v: v, rotated: rotated, color: color, into: &raster, clip: clip)
    }

    private func draw(mask: TextMask, at x: Double, _ y: Double, h: HAlign, v: VAlign,
                      rotated: Bool, color: Color, into raster: inout Raster, clip: PixelRect?) -> Box {
        let clipRect = clip ?? PixelRect(x0: 0, y0: 0, x1: raster.width, y1: raster.height)
        if !rotated {
            let bw = Double(mask.boxWidth), bh = Double(mask.boxHeight)
            let left: Double = h == .left ? x : (h == .center ? x - bw / 2 : x - bw)
            let top: Double
            switch v {
            case .top: top = y
            case .center: top = y - bh / 2
            case .baseline: top = y - Double(mask.ascent)
            case .bottom: top = y - bh
            }
            let lx = Int(min(max(left, -1e6), 1e6).rounded()), ty = Int(min(max(top, -1e6), 1e6).rounded())
            raster.blend(mask: mask.coverage, maskWidth: mask.width, maskHeight: mask.height,
                         x: lx - mask.margin, y: ty - mask.margin, color: color, clip: clipRect)
            return Box(x0: Double(lx), y0: Double(ty), x1: Double(lx) + bw, y1: Double(ty) + bh)
        }
        // Rotated: mask pixel (u, v) goes to (v, W-1-u); the box is boxHeight wide and boxWidth tall.
        var rot = [UInt8](repeating: 0, count: mask.width * mask.height)
        let rw = mask.height, rh = mask.width
        for vy in 0..<mask.height {
            for ux in 0..<mask.width {
                rot[(mask.width - 1 - ux) * rw + vy] = mask.coverage[vy * mask.width + ux]
            }
        }
        let bw = Double(mask.boxHeight), bh = Double(mask.boxWidth)
        let left: Double
        switch v {
        case .top: left = x
        case .center: left = x - bw / 2
        case .baseline: left = x - Double(mask.ascent)
        case .bottom: left = x - bw
        }
        let top: Double = h == .left ? y - bh : (h == .center ? y - bh / 2 : y)
        let lx = Int(min(max(left, -1e6), 1e6).rounded()), ty = Int(min(max(top, -1e6), 1e6).rounded())
        raster.blend(mask: rot, maskWidth: rw, maskHeight: rh, x: lx - mask.margin, y: ty - mask.margin,
                     color: color, clip: clipRect)
        return Box(x0: Double(lx), y0: Double(ty), x1: Double(lx) + bw, y1: Double(ty) + bh)
    }

    @discardableResult
    func draw(_ text: String, size: Double, at x: Double, _ y: Double, h: HAlign, v: VAlign,
              rotated: Bool = false, color: Color, into raster: inout Raster, clip: PixelRect? = nil) -> Box {
        draw(mask: renderLines(text, size: size, align: rotated ? .center : h), at: x, y, h: h, v: v, rotated: rotated,
             color: color, into: &raster, clip: clip)
    }
}
