// Figures reach the host through this hook. The language knows nothing about plots: the Bindings
// layer's figure objects adopt `ImageRenderable`, and call `interpreter.display(_:savedAt:)` when a
// script shows or saves one. The host's output sink decides what showing means: an inline image in
// a terminal that supports it, a saved file's path, or an image embedded in a notebook report.

/// A native object that can draw itself as a PNG image (a figure).
public protocol ImageRenderable: NativeObject {
    /// The image as the bytes of a PNG file.
    func pngData() throws -> [UInt8]
}

/// An output sink that can also show images: the REPL's terminal, a notebook report's cell.
public protocol ImageSink: OutputSink {
    /// Shows an image a script drew; `path` is where it was saved, if it was.
    func showImage(_ image: any ImageRenderable, savedAt path: String?) throws
}

extension Interpreter {
    /// Shows a figure where this interpreter's host shows things. Bindings call it when a script
    /// shows or saves a figure. With a sink that cannot show images, a saved figure's path is printed.
    public func display(_ image: any ImageRenderable, savedAt path: String? = nil) throws {
        if let sink = output as? ImageSink {
            try sink.showImage(image, savedAt: path)
        } else if let path {
            write("[\(image.typeName) saved to \(path)]\n")
        }
    }
}
