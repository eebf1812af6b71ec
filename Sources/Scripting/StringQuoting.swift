/// `s` in double quotes with `"`, `\`, newline, tab and carriage return escaped as `\"`, `\\`, `\n`, `\t`,
/// `\r`; any other scalar for which `control` returns an escape is written as that escape. gfn's own
/// string literals (`repr`) and JSON differ only there: `\u{7f}` against `\u007f`, and `{{` for `{`.
func quoted(_ s: String, control: (UInt32) -> String?) -> String {
    var out = "\""
    for u in s.unicodeScalars {
        switch u {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\t": out += "\\t"
        case "\r": out += "\\r"
        default:
            if let escape = control(u.value) { out += escape } else { out.unicodeScalars.append(u) }
        }
    }
    return out + "\""
}
