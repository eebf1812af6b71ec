// Runs of compiled code (statements, list elements, dict entries, interpolation pieces) as
// trees of small closures instead of loops over arrays of closures.
//
// Calling a closure that another closure captured costs no reference counting; copying one out
// of an array to call it retains and releases its context (and the array) on every run, which
// profiles showed as a fifth of a loop-heavy program's time. Up to four pieces go in one closure;
// longer runs are split into groups of four, recursively, so the depth is log4 of the length
// (a list literal of 100,000 elements nests nine closures deep) and compiling stays linear.

/// Appends values to an array (the elements of a list literal, a call's arguments).
typealias Fill = (Frame, inout [Value]) throws -> Void
struct FillBox { let run: Fill }

/// Appends values to a list (the elements of a list literal).
typealias ListFill = (Frame, ListObject) throws -> Void
struct ListFillBox { let run: ListFill }

/// Adds entries to a dict (a dict literal).
typealias DictFill = (Frame, DictObject) throws -> Void
struct DictFillBox { let run: DictFill }

/// Appends text to a string (an interpolated string).
typealias TextFill = (Frame, inout String) throws -> Void
struct TextFillBox { let run: TextFill }

enum CodeTree {
    /// `items` in consecutive groups of at most four, each made into one piece by `make`.
    static func groups<T, U>(_ items: [T], _ make: ([T]) -> U) -> [U] {
        var out: [U] = []
        out.reserveCapacity((items.count + 3) / 4)
        var i = 0
        while i < items.count {
            let j = min(i + 4, items.count)
            out.append(make(Array(items[i..<j])))
            i = j
        }
        return out
    }

    /// One closure that appends the value of each of `es`, in order.
    static func fill(_ es: [EvalBox]) -> Fill {
        switch es.count {
        case 0: return { _, _ in }
        case 1:
            let a = es[0].run
            return { fp, out in out.append(try a(fp)) }
        case 2:
            let a = es[0].run, b = es[1].run
            return { fp, out in
                out.append(try a(fp))
                out.append(try b(fp))
            }
        case 3:
            let a = es[0].run, b = es[1].run, c = es[2].run
            return { fp, out in
                out.append(try a(fp))
                out.append(try b(fp))
                out.append(try c(fp))
            }
        case 4:
            let a = es[0].run, b = es[1].run, c = es[2].run, d = es[3].run
            return { fp, out in
                out.append(try a(fp))
                out.append(try b(fp))
                out.append(try c(fp))
                out.append(try d(fp))
            }
        default:
            return join(groups(es) { FillBox(run: fill($0)) })
        }
    }

    private static func join(_ fs: [FillBox]) -> Fill {
        switch fs.count {
        case 0: return { _, _ in }
        case 1: return fs[0].run
        case 2:
            let a = fs[0].run, b = fs[1].run
            return { fp, out in try a(fp, &out); try b(fp, &out) }
        case 3:
            let a = fs[0].run, b = fs[1].run, c = fs[2].run
            return { fp, out in try a(fp, &out); try b(fp, &out); try c(fp, &out) }
        case 4:
            let a = fs[0].run, b = fs[1].run, c = fs[2].run, d = fs[3].run
            return { fp, out in try a(fp, &out); try b(fp, &out); try c(fp, &out); try d(fp, &out) }
        default:
            return join(groups(fs) { FillBox(run: join($0)) })
        }
    }

    /// One closure that appends the value of each of `es` to a list, in order.
    static func listFill(_ es: [EvalBox]) -> ListFill {
        switch es.count {
        case 0: return { _, _ in }
        case 1:
            let a = es[0].run
            return { fp, l in l.append(try a(fp)) }
        case 2:
            let a = es[0].run, b = es[1].run
            return { fp, l in l.append(try a(fp)); l.append(try b(fp)) }
        case 3:
            let a = es[0].run, b = es[1].run, c = es[2].run
            return { fp, l in l.append(try a(fp)); l.append(try b(fp)); l.append(try c(fp)) }
        case 4:
            let a = es[0].run, b = es[1].run, c = es[2].run, d = es[3].run
            return { fp, l in l.append(try a(fp)); l.append(try b(fp)); l.append(try c(fp)); l.append(try d(fp)) }
        default:
            return listJoin(groups(es) { ListFillBox(run: listFill($0)) })
        }
    }

    private static func listJoin(_ fs: [ListFillBox]) -> ListFill {
        switch fs.count {
        case 0: return { _, _ in }
        case 1: return fs[0].run
        case 2:
            let a = fs[0].run, b = fs[1].run
            return { fp, l in try a(fp, l); try b(fp, l) }
        case 3:
            let a = fs[0].run, b = fs[1].run, c = fs[2].run
            return { fp, l in try a(fp, l); try b(fp, l); try c(fp, l) }
        case 4:
            let a = fs[0].run, b = fs[1].run, c = fs[2].run, d = fs[3].run
            return { fp, l in try a(fp, l); try b(fp, l); try c(fp, l); try d(fp, l) }
        default:
            return listJoin(groups(fs) { ListFillBox(run: listJoin($0)) })
        }
    }

    /// One closure that runs each of `fs` on the same dict, in order.
    static func dictFill(_ fs: [DictFillBox]) -> DictFill {
        switch fs.count {
        case 0: return { _, _ in }
        case 1: return fs[0].run
        case 2:
            let a = fs[0].run, b = fs[1].run
            return { fp, d in try a(fp, d); try b(fp, d) }
        case 3:
            let a = fs[0].run, b = fs[1].run, c = fs[2].run
            return { fp, d in try a(fp, d); try b(fp, d); try c(fp, d) }
        case 4:
            let a = fs[0].run, b = fs[1].run, c = fs[2].run, e = fs[3].run
            return { fp, d in try a(fp, d); try b(fp, d); try c(fp, d); try e(fp, d) }
        default:
            return dictFill(groups(fs) { DictFillBox(run: dictFill($0)) })
        }
    }

    /// One closure that runs each of `fs` on the same string, in order.
    static func textFill(_ fs: [TextFillBox]) -> TextFill {
        switch fs.count {
        case 0: return { _, _ in }
        case 1: return fs[0].run
        case 2:
            let a = fs[0].run, b = fs[1].run
            return { fp, s in try a(fp, &s); try b(fp, &s) }
        case 3:
            let a = fs[0].run, b = fs[1].run, c = fs[2].run
            return { fp, s in try a(fp, &s); try b(fp, &s); try c(fp, &s) }
        case 4:
            let a = fs[0].run, b = fs[1].run, c = fs[2].run, d = fs[3].run
            return { fp, s in try a(fp, &s); try b(fp, &s); try c(fp, &s); try d(fp, &s) }
        default:
            return textFill(groups(fs) { TextFillBox(run: textFill($0)) })
        }
    }
}
