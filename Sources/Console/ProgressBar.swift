// Draws `ProgressState`s as one line on stderr:
//   sampling  [██████████░░░░░░░░░░]  512/1024  83.2/s  ETA 0:06  loss 0.4123
// Redrawn at most ten times a second; a finished task's line is completed and kept.

import Scripting

/// Renders progress to a terminal line.
struct ProgressBar {
    private var lastDraw: Double = -1
    private(set) var visible = false
    /// Columns available for the line.
    var width = 100

    /// The text of a bar (no escape codes), for drawing and tests.
    static func line(_ s: ProgressState, width: Int) -> String {
        var parts: [String] = [s.title]
        let rate = s.elapsed > 0 ? Double(s.done) / s.elapsed : 0
        if let total = s.total, total > 0 {
            let fraction = min(1, max(0, Double(s.done) / Double(total)))
            let cells = 20
            let full = Int((fraction * Double(cells)).rounded(.down))
            parts.append("[" + String(repeating: "█", count: full) + String(repeating: "░", count: cells - full) + "]")
            parts.append("\(s.done)/\(total)")
        } else {
            parts.append("\(s.done)")
        }
        if s.done > 0 && s.elapsed > 0 { parts.append(formatRate(rate)) }
        if s.finished {
            parts.append("in " + formatDuration(s.elapsed))
        } else if let total = s.total, rate > 0, s.done < total {
            parts.append("ETA " + formatDuration(Double(total - s.done) / rate))
        }
        if let name = s.metricName, let value = s.metricValue { parts.append("\(name) \(formatMetric(value))") }
        let text = parts.joined(separator: "  ")
        return text.count > width ? String(text.prefix(width)) : text
    }

    /// Draws the state; returns the escape-coded text to write to stderr (empty when throttled).
    mutating func render(_ s: ProgressState) -> String {
        if !s.finished && visible && s.elapsed - lastDraw < 0.1 { return "" }
        lastDraw = s.elapsed
        let text = "\r\u{1B}[2K" + ProgressBar.line(s, width: width)
        if s.finished {
            visible = false
            return text + "\n"
        }
        visible = true
        return text
    }

    /// Clears the bar so that ordinary output starts on a clean line; it is redrawn on the next update.
    mutating func clear() -> String {
        guard visible else { return "" }
        visible = false
        lastDraw = -1
        return "\r\u{1B}[2K"
    }

    static func formatRate(_ r: Double) -> String {
        if r >= 100 { return "\(Int(r.rounded()))/s" }
        if r >= 1 { return String(format1: r) + "/s" }
        return String(format1: 1 / r) + " s/it"
    }

    static func formatDuration(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "?" }
        let s = Int(seconds.rounded())
        if s >= 3600 { return "\(s / 3600):" + pad2((s / 60) % 60) + ":" + pad2(s % 60) }
        return "\(s / 60):" + pad2(s % 60)
    }

    static func formatMetric(_ v: Double) -> String {
        if v == 0 || (abs(v) >= 1e-3 && abs(v) < 1e5) { return String(format4: v) }
        return "\(v)"
    }

    private static func pad2(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
}

extension String {
    /// One decimal, without Foundation's locale-dependent formatting.
    init(format1 v: Double) { self = String.fixed(v, digits: 1) }
    init(format4 v: Double) { self = String.fixed(v, digits: 4) }

    static func fixed(_ v: Double, digits: Int) -> String {
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let r = (abs(v) * scale).rounded()
        let whole = Int(r / scale)
        let frac = Int(r - Double(whole) * scale)
        var fracText = String(frac)
        while fracText.count < digits { fracText = "0" + fracText }
        return (v < 0 && r != 0 ? "-" : "") + "\(whole)." + fracText
    }
}
