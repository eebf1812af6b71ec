// Prose cells of a notebook report: a `# %% [markdown]` cell (jupytext's convention) holds
// comment lines whose text is Markdown. The report shows that text, not the comments: passed
// through in a Markdown report, rendered to HTML here (headings, paragraphs, emphasis, inline code,
// lists, fenced code). Inline math such as $P_F(s)$ stays text: no emphasis is read inside it.

import Foundation

enum MarkdownProse {
    static let marker = "[markdown]"

    /// Whether a cell title (the text after `# %%`) marks a prose cell.
    static func isProse(title: String) -> Bool { title.hasPrefix(marker) }

    /// The cell title without the `[markdown]` marker.
    static func title(_ title: String) -> String {
        isProse(title: title) ? String(title.dropFirst(marker.count)).trimmingCharacters(in: .whitespaces) : title
    }

    /// The Markdown text of a prose cell's body: each comment line without its `#` and one space.
    /// Lines that are not comments are kept as they are.
    static func text(ofBody body: String) -> String {
        body.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            let t = line.drop { $0 == " " || $0 == "\t" }
            guard t.first == "#" else { return String(line) }
            let rest = t.dropFirst()
            return String(rest.first == " " ? rest.dropFirst() : rest)
        }.joined(separator: "\n")
    }

    // MARK: - HTML

    /// Block structure: fenced code, headings, lists (`-`, `*`, `1.`), paragraphs separated by blank lines.
    static func html(_ markdown: String) -> String {
        let lines = markdown.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var out = "", paragraph: [String] = [], list: (ordered: Bool, items: [String])?
        func flushParagraph() {
            if !paragraph.isEmpty { out += "<p>" + inline(paragraph.joined(separator: "\n")) + "</p>\n" }
            paragraph = []
        }
        func flushList() {
            if let l = list {
                let tag = l.ordered ? "ol" : "ul"
                out += "<\(tag)>\n" + l.items.map { "<li>" + inline($0) + "</li>\n" }.joined() + "</\(tag)>\n"
            }
            list = nil
        }
        var i = 0
        while i < lines.count {
            let line = lines[i], t = line.trimmingCharacters(in: .whitespaces)
            if t.hasPrefix("```") {
                flushParagraph(); flushList()
                var code: [String] = []
                i += 1
                while i < lines.count, !lines[i].trimmingCharacters(in: .whitespaces).hasPrefix("```") { code.append(lines[i]); i += 1 }
                out += "<pre><code>" + ReportDocument.escape(code.joined(separator: "\n")) + "</code></pre>\n"
                i += 1
                continue
            }
            if t.isEmpty {
                flushParagraph(); flushList()
            } else if let (level, heading) = heading(t) {
                flushParagraph(); flushList()
                let tag = "h\(min(6, level + 2))"   // the report's own h1/h2 stay above the prose
                out += "<\(tag)>" + inline(heading) + "</\(tag)>\n"
            } else if let (ordered, item) = listItem(t) {
                flushParagraph()
                if let l = list, l.ordered != ordered { flushList() }
                if list == nil { list = (ordered, []) }
                list?.items.append(item)
            } else if var l = list, !l.items.isEmpty, line.first == " " {
                l.items[l.items.count - 1] += "\n" + t   // a continuation line of the item
                list = l
            } else {
                flushList()
                paragraph.append(t)
            }
            i += 1
        }
        flushParagraph(); flushList()
        return out
    }

    static func heading(_ t: String) -> (Int, String)? {
        let hashes = t.prefix { $0 == "#" }.count
        guard (1...6).contains(hashes), t.dropFirst(hashes).first == " " else { return nil }
        return (hashes, t.dropFirst(hashes + 1).trimmingCharacters(in: .whitespaces))
    }

    static func listItem(_ t: String) -> (ordered: Bool, text: String)? {
        if t.hasPrefix("- ") || t.hasPrefix("* ") || t.hasPrefix("+ ") { return (false, String(t.dropFirst(2))) }
        let digits = t.prefix { $0.isASCII && $0.isNumber }
        if !digits.isEmpty, t.dropFirst(digits.count).hasPrefix(". ") { return (true, String(t.dropFirst(digits.count + 2))) }
        return nil
    }

    /// Inline spans: `code`, $math$ (kept as text), **strong**, *emphasis* and _emphasis_; the rest escaped.
    static func inline(_ text: String) -> String {
        let chars = Array(text)
        var out = "", i = 0
        func closing(_ delimiter: String, from start: Int) -> Int? {
            let d = Array(delimiter)
            var j = start
            while j + d.count <= chars.count {
                if Array(chars[j..<j + d.count]) == d, j > start { return j }
                j += 1
            }
            return nil
        }
        while i < chars.count {
            let c = chars[i]
            if c == "`", let end = closing("`", from: i + 1) {
                out += "<code>" + ReportDocument.escape(String(chars[i + 1..<end])) + "</code>"
                i = end + 1
            } else if c == "$", let end = closing("$", from: i + 1) {
                out += ReportDocument.escape(String(chars[i...end]))
                i = end + 1
            } else if c == "*", i + 1 < chars.count, chars[i + 1] == "*", let end = closing("**", from: i + 2) {
                out += "<strong>" + inline(String(chars[i + 2..<end])) + "</strong>"
                i = end + 2
            } else if (c == "*" || c == "_"), i + 1 < chars.count, chars[i + 1] != " ", emphasisCanOpen(chars, at: i),
                      let end = closing(String(c), from: i + 1), chars[end - 1] != " " {
                out += "<em>" + inline(String(chars[i + 1..<end])) + "</em>"
                i = end + 1
            } else {
                out += ReportDocument.escape(String(c))
                i += 1
            }
        }
        return out
    }

    /// `_` inside a word (snake_case names) does not open emphasis.
    static func emphasisCanOpen(_ chars: [Character], at i: Int) -> Bool {
        chars[i] == "*" || i == 0 || !(chars[i - 1].isLetter || chars[i - 1].isNumber)
    }
}
