// `read_csv(path)`: RFC 4180 CSV (quoted fields, doubled quotes, commas and newlines inside quotes)
// as a list of dicts keyed by the header row, the form datasets of examples take.

import Foundation

enum CSVReader {
    /// The records of `text`; a record is its fields. `path` names the file in errors.
    static func records(_ text: String, path: String) throws -> [[String]] {
        var records: [[String]] = [], record: [String] = [], field = ""
        var inQuotes = false, fieldWasQuoted = false, line = 1, quoteLine = 1
        var chars = Array(text.unicodeScalars)[...]
        if chars.first == "\u{FEFF}" { chars = chars.dropFirst() }   // a byte-order mark is not part of the header
        var i = chars.startIndex
        func endField() { record.append(field); field = ""; fieldWasQuoted = false }
        func endRecord() {
            endField()
            if !(record.count == 1 && record[0].isEmpty) { records.append(record) }   // blank lines hold no record
            record = []
        }
        while i < chars.endIndex {
            let c = chars[i]
            if inQuotes {
                if c == "\"" {
                    if chars.index(after: i) < chars.endIndex && chars[chars.index(after: i)] == "\"" {
                        field.unicodeScalars.append("\""); i = chars.index(i, offsetBy: 2); continue
                    }
                    inQuotes = false
                } else {
                    if c == "\n" { line += 1 }
                    field.unicodeScalars.append(c)
                }
                i = chars.index(after: i)
                continue
            }
            switch c {
            case "\"":
                guard field.isEmpty && !fieldWasQuoted else {
                    throw RuntimeError("\(path):\(line): a quote inside an unquoted field (quote the whole field and double the quote: \"a \"\"b\"\"\")")
                }
                inQuotes = true; fieldWasQuoted = true; quoteLine = line
            case ",": endField()
            case "\r": break
            case "\n": endRecord(); line += 1
            default:
                guard !fieldWasQuoted else { throw RuntimeError("\(path):\(line): text after a closing quote (\"\(Character(c))\")") }
                field.unicodeScalars.append(c)
            }
            i = chars.index(after: i)
        }
        if inQuotes { throw RuntimeError("\(path):\(quoteLine): a quoted field is never closed") }
        if !field.isEmpty || !record.isEmpty || fieldWasQuoted { endRecord() }
        return records
    }

    static let function = NativeFunction(
        "read_csv(path)",
        summary: "Reads a CSV file with a header row: a list of dicts, one per record, keyed by the header's names (values are strings).",
        details: "Fields may be quoted (\"a, b\"), with doubled quotes inside (\"say \"\"hi\"\"\") and line breaks; blank lines are skipped. " +
            "A record with more or fewer fields than the header is an error naming the record. Convert numbers with int() or float().",
        example: "write_text(\"/tmp/gfn-doc-i.csv\", \"s1,s2\\nHi.,\\\"Yes, it is.\\\"\\n\")\nprint(read_csv(\"/tmp/gfn-doc-i.csv\"))   # expect: [{\"s1\": \"Hi.\", \"s2\": \"Yes, it is.\"}]",
        category: "io") { a in
        let path = try a.string(0)
        let rows = try records(try IOLibrary.read(path, a), path: path)
        guard let header = rows.first else { throw RuntimeError("\(path): empty (a header row is needed)") }
        var seen: Set<String> = []
        for name in header {
            guard !name.isEmpty else { throw RuntimeError("\(path):1: the header has an empty column name") }
            guard seen.insert(name).inserted else { throw RuntimeError("\(path):1: the header names '\(name)' twice") }
        }
        var out: [Value] = []
        for (n, row) in rows.dropFirst().enumerated() {
            guard row.count == header.count else {
                throw RuntimeError("\(path): record \(n + 1) has \(row.count) fields, the header \(header.count)")
            }
            let d = DictObject()
            for (k, v) in zip(header, row) { d[k] = .string(v) }
            out.append(.dict(d))
        }
        return .makeList(out)
    }
}
