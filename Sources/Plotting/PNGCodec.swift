import CPNG
import Foundation

/// PNG encoding and decoding through libpng's simplified API, which reports errors by return value and
/// a message instead of longjmp (Swift cannot be longjmp'd across). The simplified writer adds no
/// time chunk, so the same raster always gives the same bytes.
public enum PNGCodec {
    // PNG_FORMAT_FLAG_ALPHA | PNG_FORMAT_FLAG_COLOR: 8-bit RGBA.
    private static let formatRGBA: UInt32 = 3

    private static func message(_ image: png_image) -> String {
        var img = image
        let text = withUnsafeBytes(of: &img.message) { raw -> String in
            let bytes = raw.prefix(while: { $0 != 0 })
            return String(decoding: bytes, as: UTF8.self)
        }
        return text.isEmpty ? "unknown libpng error" : text
    }

    /// The PNG file bytes of an RGBA raster.
    public static func encode(_ raster: Raster) throws -> [UInt8] {
        guard raster.width > 0, raster.height > 0, raster.width < 1 << 20, raster.height < 1 << 20 else {
            throw PlotError.png("cannot encode a \(raster.width)×\(raster.height) image")
        }
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        image.width = UInt32(raster.width)
        image.height = UInt32(raster.height)
        image.format = formatRGBA
        let stride = Int32(raster.width * 4)
        var size: png_alloc_size_t = 0
        // First call with no buffer: libpng reports the size it needs.
        let ok1 = raster.pixels.withUnsafeBytes { px in
            png_image_write_to_memory(&image, nil, &size, 0, px.baseAddress, stride, nil)
        }
        guard ok1 != 0, size > 0 else {
            let m = message(image)
            png_image_free(&image)
            throw PlotError.png(m)
        }
        var out = [UInt8](repeating: 0, count: Int(size))
        let ok2 = out.withUnsafeMutableBytes { dst in
            raster.pixels.withUnsafeBytes { px in
                png_image_write_to_memory(&image, dst.baseAddress, &size, 0, px.baseAddress, stride, nil)
            }
        }
        guard ok2 != 0 else {
            let m = message(image)
            png_image_free(&image)
            throw PlotError.png(m)
        }
        png_image_free(&image)
        return Array(out.prefix(Int(size)))
    }

    /// Decodes PNG bytes of any colour type to an RGBA raster.
    public static func decode(_ bytes: [UInt8]) throws -> Raster {
        guard bytes.count >= 8 else { throw PlotError.png("not a PNG: only \(bytes.count) bytes") }
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        let ok = bytes.withUnsafeBytes { b in
            png_image_begin_read_from_memory(&image, b.baseAddress, b.count)
        }
        guard ok != 0 else {
            let m = message(image)
            png_image_free(&image)
            throw PlotError.png(m)
        }
        image.format = formatRGBA
        let w = Int(image.width), h = Int(image.height)
        guard w > 0, h > 0, w * h <= 64_000_000 else {
            png_image_free(&image)
            throw PlotError.png("a \(w)×\(h) image is larger than the 64-million-pixel limit")
        }
        var pixels = [UInt8](repeating: 0, count: w * h * 4)
        let ok2 = pixels.withUnsafeMutableBytes { dst in
            png_image_finish_read(&image, nil, dst.baseAddress, Int32(w * 4), nil)
        }
        guard ok2 != 0 else {
            let m = message(image)
            png_image_free(&image)
            throw PlotError.png(m)
        }
        return try Raster(width: w, height: h, pixels: pixels)
    }

    /// Writes the raster as a PNG file (creating no directories).
    public static func write(_ raster: Raster, to path: String) throws {
        let bytes = try encode(raster)
        do {
            try Data(bytes).write(to: URL(fileURLWithPath: path))
        } catch {
            let reason = (error as NSError).localizedFailureReason ?? error.localizedDescription
            throw PlotError.io(path, reason)
        }
    }

    public static func read(path: String) throws -> Raster {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw PlotError.io(path, "cannot read the file")
        }
        return try decode([UInt8](data))
    }
}
