import Foundation
import Randomness

/// Draws one figure of every plot kind into a directory (plots/gallery/ by default): the visual check
/// of the plotting module and the pictures in docs/plotting.md. Data comes from a fixed-seed generator,
/// so every run writes the same bytes.
public enum PlotGallery {
    /// SplitMix64 with Box–Muller normals: deterministic data for the gallery.
    struct Random {
        var bits: SplitMix64
        init(state: UInt64) { bits = SplitMix64(seed: state) }
        mutating func uniform() -> Double { Double(bits.next() >> 11) / Double(1 << 53) }
        mutating func normal() -> Double {
            let u = max(uniform(), 1e-300), v = uniform()
            return (-2 * Foundation.log(u)).squareRoot() * cos(2 * Double.pi * v)
        }
    }

    /// Names of the figures, in the order they are drawn.
    public static let names = [
        "line", "scatter", "scatter_values", "bar", "grouped_bar", "histogram", "step", "fill_between", "reference_lines",
        "error_bars", "heatmap", "annotations", "log_axes", "smoothing", "subplots", "high_resolution",
    ]

    /// Writes every gallery figure as <directory>/<name>.png and returns the paths.
    @discardableResult
    public static func write(to directory: String) throws -> [String] {
        var paths: [String] = []
        for name in names {
            let fig = try figure(name)
            let path = (directory as NSString).appendingPathComponent(name + ".png")
            try fig.save(path)
            paths.append(path)
        }
        return paths
    }

    /// The gallery figure called `name`.
    public static func figure(_ name: String) throws -> Figure {
        var rng = Random(state: 42)
        switch name {
        case "line":
            let fig = try Figure(title: "Several series")
            let x = (0...60).map { Double($0) / 6 }
            let ax = fig.axes
            try ax.line(x.map { sin($0) }, x: x, LineOptions(label: "sin(x)"))
            try ax.line(x.map { cos($0) }, x: x, LineOptions(label: "cos(x)", dash: .dashed))
            try ax.line(x.map { 0.5 * sin(2 * $0) }, x: x, LineOptions(label: "½ sin(2x)", width: 1, dash: .dotted))
            let xm = stride(from: 0.0, through: 10, by: 1).map { $0 }
            try ax.line(xm.map { 0.1 * $0 - 0.5 }, x: xm, LineOptions(label: "x/10 − ½, markers", width: 1, marker: .circle))
            try ax.line(xm.map { 0.8 - 0.12 * $0 }, x: xm, LineOptions(label: "dash-dot, squares", width: 2.5, dash: .dashDot, marker: .square))
            ax.xLabel = "x"
            ax.yLabel = "value"
            return fig
        case "scatter":
            let fig = try Figure(title: "Likelihood vs diversity")
            var xs1: [Double] = [], ys1: [Double] = [], xs2: [Double] = [], ys2: [Double] = []
            for _ in 0..<150 {
                let a = rng.normal(), b = rng.normal()
                xs1.append(-2.0 + 0.6 * a); ys1.append(0.4 + 0.08 * b + 0.03 * a)
                xs2.append(-3.1 + 0.8 * rng.normal()); ys2.append(0.65 + 0.1 * rng.normal())
            }
            try fig.axes.scatter(x: xs1, y: ys1, ScatterOptions(label: "reward-maximising RL", alpha: 0.6))
            try fig.axes.scatter(x: xs2, y: ys2, ScatterOptions(label: "GFlowNet", marker: .triangle, alpha: 0.6))
            fig.axes.xLabel = "mean log-likelihood per token"
            fig.axes.yLabel = "diversity (1 − mean pairwise similarity)"
            return fig
        case "scatter_values":
            let fig = try Figure(title: "Samples coloured by temperature")
            var x: [Double] = [], y: [Double] = [], t: [Double] = []
            for _ in 0..<400 {
                let temp = 0.5 + 1.5 * rng.uniform()
                x.append(-1.5 * temp + 0.5 * rng.normal())
                y.append(0.2 + 0.25 * temp + 0.08 * rng.normal())
                t.append(temp)
            }
            try fig.axes.scatter(x: x, y: y, ScatterOptions(size: 5, values: t, colorbarLabel: "sampling temperature"))
            fig.axes.xLabel = "log-likelihood"
            fig.axes.yLabel = "diversity"
            return fig
        case "bar":
            let fig = try Figure(title: "Accuracy by method")
            try fig.axes.bar([0.41, 0.63, 0.58, 0.72], categories: ["zero-shot", "SFT", "PPO", "GFlowNet"])
            fig.axes.yLabel = "accuracy"
            return fig
        case "grouped_bar":
            let fig = try Figure(title: "Grouped bars")
            try fig.axes.groupedBar([[0.41, 0.55, 0.38], [0.63, 0.66, 0.52], [0.72, 0.70, 0.61]],
                                    categories: ["subjectivity", "story infilling", "arithmetic"],
                                    labels: ["few-shot", "SFT", "GFlowNet"])
            fig.axes.yLabel = "test accuracy"
            return fig
        case "histogram":
            let fig = try Figure(title: "Sampled numbers vs target")
            let a = (0..<5000).map { _ in rng.normal() }
            let b = (0..<5000).map { _ in 1.5 + 0.7 * rng.normal() }
            try fig.axes.hist(a, HistogramOptions(density: true, label: "samples (auto bins)"))
            try fig.axes.hist(b, HistogramOptions(bins: .count(40), density: true, label: "target (40 bins)"))
            try fig.axes.hist(a.map { $0 * 0.5 - 1 }, HistogramOptions(bins: .count(30), density: true, label: "outline", style: .step))
            fig.axes.xLabel = "value"
            fig.axes.yLabel = "density"
            return fig
        case "step":
            let fig = try Figure(title: "Step plots")
            let y = [1.0, 3, 2, 4, 3.5, 5, 4, 6]
            try fig.axes.step(y, position: .pre, LineOptions(label: "pre (default)", marker: .circle))
            try fig.axes.step(y.map { $0 - 2.5 }, position: .post, LineOptions(label: "post", marker: .circle))
            try fig.axes.step(y.map { $0 + 2.5 }, position: .mid, LineOptions(label: "mid", marker: .circle))
            fig.axes.xLabel = "step"
            return fig
        case "fill_between":
            let fig = try Figure(title: "Mean ± std over 5 seeds")
            let n = 200
            for (k, name) in ["GFlowNet", "PPO"].enumerated() {
                var mean: [Double] = [], std: [Double] = []
                for i in 0..<n {
                    let t = Double(i) / Double(n)
                    mean.append((k == 0 ? 0.9 : 0.7) * (1 - exp(-4 * t)) + 0.02 * rng.normal())
                    std.append(0.05 + 0.05 * exp(-3 * t) + 0.01 * abs(rng.normal()))
                }
                try fig.axes.band(mean: mean, std: std, x: (0..<n).map { Double($0) * 50 }, LineOptions(label: name))
            }
            fig.axes.xLabel = "training step"
            fig.axes.yLabel = "reward"
            return fig
        case "reference_lines":
            let fig = try Figure(title: "Reference lines")
            let x = (0..<100).map(Double.init)
            try fig.axes.line(x.map { 1 - exp(-$0 / 20) + 0.03 * sin($0) }, x: x, LineOptions(label: "reward"))
            try fig.axes.hline(0.9, ReferenceLineOptions(label: "target 0.9"))
            try fig.axes.vline(40, ReferenceLineOptions(label: "LR decay", color: Color(rgb: 0xd62728), dash: .dotted))
            fig.axes.xLabel = "epoch"
            return fig
        case "error_bars":
            let fig = try Figure(title: "Error bars")
            let x = [1.0, 2, 3, 4, 5, 6]
            try fig.axes.errorBar(x: x, y: [2.1, 3.9, 6.2, 7.8, 10.1, 12.2], yErr: [0.3, 0.5, 0.4, 0.8, 0.6, 0.9],
                                  ErrorBarOptions(label: "measured ± 1σ", connect: true))
            try fig.axes.errorBar(x: x.map { $0 + 0.15 }, y: [1.0, 2.5, 3.1, 4.9, 5.2, 6.8], yErr: [0.2, 0.3, 0.3, 0.4, 0.5, 0.4],
                                  xErr: [0.1, 0.1, 0.1, 0.1, 0.1, 0.1], ErrorBarOptions(label: "baseline", marker: .square))
            fig.axes.xLabel = "model size (M parameters)"
            fig.axes.yLabel = "score"
            return fig
        case "heatmap":
            let fig = try Figure(width: 720, height: 480, title: "Per-token probability")
            let tokens = ["The", " cat", " sat", " on", " the", " mat", "."]
            let layers = (0..<6).map { "layer \($0)" }
            let m = layers.indices.map { r in tokens.indices.map { c in
                0.5 + 0.45 * sin(Double(r) * 0.9 + Double(c) * 0.6) * cos(Double(c) * 0.3)
            } }
            try fig.axes.heatmap(m, HeatmapOptions(colorbarLabel: "probability", xLabels: tokens, yLabels: layers, annotate: true))
            fig.axes.xLabel = "token"
            return fig
        case "annotations":
            let fig = try Figure(title: "Annotations")
            let x = (0...100).map { Double($0) / 10 }
            let y = x.map { exp(-0.3 * $0) * sin(2 * $0) }
            try fig.axes.line(y, x: x)
            let peak = y.indices.max { y[$0] < y[$1] } ?? 0
            try fig.axes.text("first peak\nx ≈ \(String(format: "%.1f", x[peak]))", x: x[peak] + 1.5, y: y[peak] - 0.05, TextOptions(arrowTo: (x[peak], y[peak])))
            try fig.axes.text("decays as e^(−0.3x)", x: 6, y: -0.45, TextOptions(color: Color(rgb: 0x555555), size: 11, align: .center))
            return fig
        case "log_axes":
            let fig = try Figure(width: 960, height: 420, title: "Logarithmic axes", cols: 2)
            let steps = (1...2000).map(Double.init)
            let loss = steps.map { 5 * pow($0, -0.6) + 0.05 + 0.02 * abs(rng.normal()) / pow($0, 0.2) }
            let a = try fig.axes(row: 0, col: 0)
            try a.line(loss, x: steps, LineOptions(label: "train loss"))
            a.yScale = .log
            a.xLabel = "step"
            a.yLabel = "loss"
            a.title = "log y"
            let b = try fig.axes(row: 0, col: 1)
            try b.line(loss, x: steps, LineOptions(label: "train loss"))
            try b.line(steps.map { 6 * pow($0, -0.5) }, x: steps, LineOptions(label: "6 / √step", dash: .dashed))
            b.xScale = .log
            b.yScale = .log
            b.xLabel = "step"
            b.title = "log-log"
            return fig
        case "smoothing":
            let fig = try Figure(title: "Noisy reward, smoothed (EMA 0.95, debiased)")
            let n = 1500
            let y = (0..<n).map { i -> Double in
                let t = Double(i) / Double(n)
                return 2.5 * (1 - exp(-5 * t)) + 0.6 * rng.normal()
            }
            try fig.axes.line(y, LineOptions(label: "reward", smoothing: 0.95))
            fig.axes.xLabel = "step"
            fig.axes.yLabel = "log reward"
            return fig
        case "subplots":
            let fig = try Figure(width: 960, height: 720, title: "Training dashboard", rows: 2, cols: 2)
            let steps = (0..<300).map(Double.init)
            let a = try fig.axes(row: 0, col: 0)
            try a.line(steps.map { 3 * exp(-$0 / 80) + 0.4 + 0.1 * rng.normal() }, x: steps, LineOptions(label: "loss", smoothing: 0.8))
            a.title = "loss"
            a.xLabel = "step"
            let b = try fig.axes(row: 0, col: 1)
            try b.hist((0..<3000).map { _ in rng.normal() * 2 + 10 }, HistogramOptions(label: "sampled"))
            try b.vline(10, ReferenceLineOptions(label: "target mean"))
            b.title = "samples"
            let c = try fig.axes(row: 1, col: 0)
            try c.scatter(x: (0..<80).map { _ in rng.normal() }, y: (0..<80).map { _ in rng.normal() }, ScatterOptions(alpha: 0.7))
            c.title = "embeddings"
            let d = try fig.axes(row: 1, col: 1)
            try d.line(steps.map { 2e6 * (1 - exp(-$0 / 100)) }, x: steps, LineOptions(label: "tokens seen"))
            d.title = "large values"
            d.yLabel = "tokens"
            return fig
        case "high_resolution":
            let fig = try Figure(title: "scale 2: 1280 × 960 pixels", scale: 2)
            let x = (0...200).map { Double($0) / 20 }
            try fig.axes.line(x.map { sin($0) * exp(-$0 / 8) }, x: x, LineOptions(label: "damped sine"))
            try fig.axes.scatter(x: Array(x.enumerated().filter { $0.offset % 10 == 0 }.map { $0.element }),
                                 y: x.enumerated().filter { $0.offset % 10 == 0 }.map { sin($0.element) * exp(-$0.element / 8) },
                                 ScatterOptions(label: "samples"))
            fig.axes.xLabel = "time (s)"
            fig.axes.yLabel = "amplitude"
            return fig
        default:
            throw PlotError.invalidArgument("gallery", "no gallery figure '\(name)'; choose one of: " + names.joined(separator: ", "))
        }
    }
}
