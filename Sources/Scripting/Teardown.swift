// Freeing nested lists and dicts without recursion on the host's stack.
//
// Left to itself, freeing a list frees its elements, each of which frees its own, so a chain of
// 100,000 nested lists recurses 100,000 deinits deep and overflows a thread's stack. Instead a
// list or dict being freed moves the elements of every child that it alone keeps alive into its
// own array (the child is then freed empty) and carries on through that array: the whole
// structure is taken apart in one loop, with no frame per level.

enum Teardown {
    /// Empties `items` so that dropping it frees no nested collection recursively.
    static func flatten(_ items: inout [Value]) {
        var i = 0
        while i < items.count {
            // Only the tag is looked at here: a `switch` that bound the element would hold a
            // second reference and hide that the child is unique.
            let isList = items[i].isList, isDict = items[i].isDict
            if isList || isDict {
                var child = Value.null
                swap(&child, &items[i])
                // The only reference is moved into `list` or `dict`, so no copy hides its uniqueness.
                if isList {
                    var list: ListObject? = listObject(consume child)
                    if isKnownUniquelyReferenced(&list), let l = list { items.append(contentsOf: l.takeItems()) }
                } else {
                    var dict: DictObject? = dictObject(consume child)
                    if isKnownUniquelyReferenced(&dict), let d = dict { items.append(contentsOf: d.takeValues()) }
                }
            }
            i += 1
        }
    }

    private static func listObject(_ v: consuming Value) -> ListObject? {
        switch consume v {
        case .list(let l): return l
        default: return nil
        }
    }

    private static func dictObject(_ v: consuming Value) -> DictObject? {
        switch consume v {
        case .dict(let d): return d
        default: return nil
        }
    }
}

private extension Value {
    var isList: Bool { if case .list = self { return true }; return false }
    var isDict: Bool { if case .dict = self { return true }; return false }
}
