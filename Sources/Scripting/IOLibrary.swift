// Files: text, lines, JSON, JSON lines and CSV.

import Foundation

enum IOLibrary {
    static func read(_ path: String, _ a: Arguments) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw RuntimeError("cannot read '\(path)': \(FileManager.default.fileExists(atPath: path) ? "not readable" : "no such file")")
        }
        guard data.count <= a.interpreter.limits.maxStringBytes else { throw RuntimeError(ErrorText.tooLarge("file '\(path)'", data.count, "bytes", limit: a.interpreter.limits.maxStringBytes)) }
        guard let text = String(validating: data, as: UTF8.self) else { throw RuntimeError("'\(path)' is not valid UTF-8 text") }
        return text
    }

    static func write(_ path: String, _ text: String, append: Bool) throws {
        let url = URL(fileURLWithPath: path)
        let dir = url.deletingLastPathComponent().path
        if !dir.isEmpty && !FileManager.default.fileExists(atPath: dir) {
            do { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) } catch {
                throw RuntimeError("cannot create the folder '\(dir)': \(error.localizedDescription)")
            }
        }
        let data = Data(text.utf8)
        if append, let h = FileHandle(forWritingAtPath: path) {
            defer { try? h.close() }
            do { try h.seekToEnd(); try h.write(contentsOf: data) } catch { throw RuntimeError("cannot write '\(path)': \(error.localizedDescription)") }
            return
        }
        guard FileManager.default.createFile(atPath: path, contents: data) else { throw RuntimeError("cannot write '\(path)'") }
    }

    static func csvField(_ v: Value) -> String {
        let s = v.isNil ? "" : v.description
        if s.contains(",") || s.contains("\"") || s.contains("\n") || s.contains("\r") {
            return "\"" + s.replacingOccurrences("\"", "\"\"") + "\""
        }
        return s
    }

    static let functions: [NativeFunction] = [
        NativeFunction("read_text(path)", summary: "The whole file as a string (it must be UTF-8).",
                       example: "write_text(\"/tmp/gfn-doc-a.txt\", \"hi\\n\")\nprint(read_text(\"/tmp/gfn-doc-a.txt\").strip())   # expect: hi", category: "io") { a in
            .string(try read(try a.string(0), a))
        },
        NativeFunction("write_text(path, text, append=false)", summary: "Writes (or appends) a string to a file, creating its folder.",
                       example: "write_text(\"/tmp/gfn-doc-b.txt\", \"a\")\nwrite_text(\"/tmp/gfn-doc-b.txt\", \"b\", append = true)\nprint(read_text(\"/tmp/gfn-doc-b.txt\"))   # expect: ab", category: "io") { a in
            try write(try a.string(0), try a.string(1), append: try a.bool("append"))
            return .null
        },
        NativeFunction("read_lines(path)", summary: "The lines of a text file, without line endings.",
                       example: "write_text(\"/tmp/gfn-doc-c.txt\", \"x\\ny\\n\")\nprint(read_lines(\"/tmp/gfn-doc-c.txt\"))   # expect: [\"x\", \"y\"]", category: "io") { a in
            .list(ListObject.make(StringMethods.splitLines(try read(try a.string(0), a)).map { .string($0) }))
        },
        NativeFunction("exists(path)", summary: "True if a file or folder exists at `path`.",
                       example: "print(exists(\"/\"), exists(\"/no/such/file\"))   # expect: true false", category: "io") { a in
            .bool(FileManager.default.fileExists(atPath: try a.string(0)))
        },
        NativeFunction("parse_json(text)", summary: "The value a JSON text describes (objects become dicts, in order); text outside JSON's grammar is an error naming its line and column.",
                       example: "print(parse_json(r'{\"a\": [1, 2.5, null, true]}'))   # expect: {\"a\": [1, 2.5, nil, true]}", category: "io") { a in
            try JSON.decode(try a.string(0))
        },
        NativeFunction("to_json(value, indent=nil)", summary: "The value as JSON text; `indent` spaces per level for pretty output.",
                       example: "print(to_json({\"k\": [1, \"x\"]}))   # expect: {\"k\": [1, \"x\"]}", category: "io") { a in
            .string(try JSON.encode(a[0], indent: try a.optionalInt("indent")))
        },
        NativeFunction("read_json(path)", summary: "Reads a JSON file.",
                       example: "write_json(\"/tmp/gfn-doc-d.json\", {\"lr\": 0.001})\nprint(read_json(\"/tmp/gfn-doc-d.json\")[\"lr\"])   # expect: 0.001", category: "io") { a in
            let path = try a.string(0)
            do { return try JSON.decode(try read(path, a)) } catch let e as RuntimeError { throw RuntimeError("\(path): \(e.message)") }
        },
        NativeFunction("write_json(path, value, indent=2)", summary: "Writes a value as a JSON file (pretty, 2 spaces by default; indent=nil for one line).",
                       example: "write_json(\"/tmp/gfn-doc-e.json\", [1, 2], indent = nil)\nprint(read_text(\"/tmp/gfn-doc-e.json\").strip())   # expect: [1, 2]", category: "io") { a in
            try write(try a.string(0), try JSON.encode(a[1], indent: try a.optionalInt("indent")) + "\n", append: false)
            return .null
        },
        NativeFunction("read_jsonl(path)", summary: "Reads a JSON-lines file: one value per non-empty line, as a list.",
                       example: "write_jsonl(\"/tmp/gfn-doc-f.jsonl\", [{\"step\": 1}, {\"step\": 2}])\nprint(read_jsonl(\"/tmp/gfn-doc-f.jsonl\"))   # expect: [{\"step\": 1}, {\"step\": 2}]", category: "io") { a in
            let path = try a.string(0)
            var out: [Value] = []
            for (n, line) in StringMethods.splitLines(try read(path, a)).enumerated() {
                let t = String(line).trimmingSpaces()
                if t.isEmpty { continue }
                do { out.append(try JSON.decode(t)) } catch let e as RuntimeError { throw RuntimeError("\(path):\(n + 1): \(e.message)") }
            }
            return .list(ListObject.make(out))
        },
        NativeFunction("write_jsonl(path, rows, append=false)", summary: "Writes one JSON value per line (append=true adds to the file, e.g. a metrics log).",
                       example: "write_jsonl(\"/tmp/gfn-doc-g.jsonl\", [{\"a\": 1}])\nwrite_jsonl(\"/tmp/gfn-doc-g.jsonl\", [{\"a\": 2}], append = true)\nprint(read_lines(\"/tmp/gfn-doc-g.jsonl\"))   # expect: [\"{{\\\"a\\\": 1}}\", \"{{\\\"a\\\": 2}}\"]", category: "io") { a in
            let rows = try a.sequence(1)
            let text = try rows.map { try JSON.encode($0, indent: nil) + "\n" }.joined()
            try write(try a.string(0), text, append: try a.bool("append"))
            return .null
        },
        NativeFunction("write_csv(path, rows, header=nil)", summary: "Writes rows as CSV: rows are lists (with an optional header list) or dicts (the header is the first row's keys).",
                       example: "write_csv(\"/tmp/gfn-doc-h.csv\", [{\"x\": 1, \"y\": \"a,b\"}])\nprint(read_text(\"/tmp/gfn-doc-h.csv\"))   # expect: x,y\n# expect: 1,\"a,b\"\n# expect:", category: "io") { a in
            let rows = try a.sequence(1)
            var header: [Value]? = a["header"].isNil ? nil : try a.sequence("header")
            var lines: [String] = []
            if header == nil, case .dict(let d)? = rows.first { header = d.pairs.map { $0.0.value } }
            if let header { lines.append(header.map(csvField).joined(separator: ",")) }
            for (i, row) in rows.enumerated() {
                switch row {
                case .list(let l): lines.append(l.items.map(csvField).joined(separator: ","))
                case .dict(let d):
                    let cols = (header ?? []).map { k -> String in DictKey(k).flatMap { d[$0] }.map(csvField) ?? "" }
                    lines.append(cols.joined(separator: ","))
                default: throw a.badArgument("rows", "row \(i) is \(row.typeNameWithArticle), not a list or dict")
                }
            }
            try write(try a.string(0), lines.map { $0 + "\n" }.joined(), append: false)
            return .null
        },
    ]
}
