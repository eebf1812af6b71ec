// Inline images in terminals that support one of the two common protocols: kitty's graphics
// protocol (kitty, Ghostty, WezTerm) and iTerm2's inline images (iTerm2, WezTerm). Support cannot
// be queried without reading the terminal's reply, so it is inferred from the environment;
// GFN_IMAGES=kitty|iterm2|none overrides the guess. Inside tmux or screen neither is used (they
// drop these sequences unless passthrough is configured), and the figure's path is printed instead.

import Foundation

/// Escape sequences that draw a PNG in the terminal.
public enum InlineImage {
    public enum Style: String, Sendable, CaseIterable {
        case kitty, iterm2
    }

    /// The protocol the terminal described by `environment` understands, if any.
    public static func detect(_ environment: [String: String]) -> Style? {
        if let forced = environment["GFN_IMAGES"]?.lowercased(), !forced.isEmpty {
            return Style(rawValue: forced)
        }
        let term = environment["TERM"] ?? ""
        if environment["TMUX"] != nil || term.hasPrefix("screen") || term.hasPrefix("tmux") { return nil }
        let program = environment["TERM_PROGRAM"] ?? ""
        if term == "xterm-kitty" || environment["KITTY_WINDOW_ID"] != nil || term == "xterm-ghostty" || program == "ghostty" {
            return .kitty
        }
        if program == "iTerm.app" || environment["LC_TERMINAL"] == "iTerm2" || program == "WezTerm" {
            return .iterm2
        }
        return nil
    }

    /// The bytes to write to the terminal to show `png` on a line of its own.
    public static func sequence(for png: [UInt8], using proto: Style, name: String = "figure.png") -> String {
        let payload = Data(png).base64EncodedString()
        switch proto {
        case .kitty:
            // Chunks of at most 4096 base64 bytes; the first carries the keys, m=1 means "more".
            var out = ""
            var index = payload.startIndex
            var first = true
            while index < payload.endIndex {
                let end = payload.index(index, offsetBy: 4096, limitedBy: payload.endIndex) ?? payload.endIndex
                let more = end < payload.endIndex ? 1 : 0
                let keys = first ? "a=T,f=100,m=\(more)" : "m=\(more)"
                out += "\u{1B}_G\(keys);\(payload[index..<end])\u{1B}\\"
                first = false
                index = end
            }
            return out + "\n"
        case .iterm2:
            let encodedName = Data(name.utf8).base64EncodedString()
            return "\u{1B}]1337;File=name=\(encodedName);size=\(png.count);inline=1;preserveAspectRatio=1:\(payload)\u{07}\n"
        }
    }
}
