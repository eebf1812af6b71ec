// Freeing nested lists and dicts without deep recursion on the host's stack.
//
// Left to itself, freeing a list frees its elements, each of which frees its own, so a chain of
// 100,000 nested lists recurses 100,000 deinits deep and overflows a thread's stack. Instead a
// list or dict being freed moves the elements of every child that it alone keeps alive into its
// own array (the child is then freed empty) and carries on through that array: the whole
// structure is taken apart in one loop, with no frame per level. That costs an array append
// per element, so it only starts below `recursionLimit` levels of ordinary recursive freeing
// (profiles of binary trees and of records in lists showed the flattening at a fifth to a third
// of the run when every list was flattened).

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

enum Teardown {
    /// How many collections are being freed inside one another on this thread: a counter in
    /// memory that a pthread key holds (interpreters may run on several threads). Keeping the
    /// count itself in the key cost two `pthread_setspecific` calls per nested collection freed.
    private static let depthKey: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, { free($0) })
        return key
    }()

    /// This thread's depth counter.
    @inline(__always) private static func depthCounter() -> UnsafeMutablePointer<Int> {
        if let p = pthread_getspecific(depthKey) { return p.assumingMemoryBound(to: Int.self) }
        return makeDepthCounter()
    }

    @inline(never) private static func makeDepthCounter() -> UnsafeMutablePointer<Int> {
        let p = malloc(MemoryLayout<Int>.size)!.bindMemory(to: Int.self, capacity: 1)
        p.initialize(to: 0)
        pthread_setspecific(depthKey, p)
        return p
    }

    /// Nesting freed by plain recursion; deeper structures are flattened. A level costs a few
    /// hundred bytes of stack, so this stays far below any thread's stack size.
    static let recursionLimit = 200

    /// Frees `items` (a dying list's elements or dict's values). Shallow structures, the common
    /// case, are freed by the ordinary recursive release, which costs nothing extra; once
    /// `recursionLimit` collections are being freed inside one another, the rest is flattened.
    static func release(_ items: inout [Value]) {
        // No list or dict inside: freeing cannot nest, so the depth needs no bookkeeping.
        if !items.contains(where: { $0.isList || $0.isDict }) { return }
        let depth = depthCounter()
        if depth.pointee >= recursionLimit {
            flatten(&items)
            return
        }
        depth.pointee += 1
        empty(&items)
        depth.pointee -= 1
    }

    /// Frees the `count` values at `base` (a dying list's inline elements), as `release` does.
    static func release(_ base: UnsafeMutablePointer<Value>, count: Int) {
        var nested = false
        for i in 0..<count where base[i].isList || base[i].isDict { nested = true; break }
        if !nested {
            destroy(base, count: count)
            return
        }
        let depth = depthCounter()
        if depth.pointee >= recursionLimit {
            var array = [Value](unsafeUninitializedCapacity: count) { buffer, n in
                buffer.baseAddress!.moveInitialize(from: base, count: count)
                n = count
            }
            flatten(&array)
            return
        }
        depth.pointee += 1
        deinitialize(base, count: count)
        depth.pointee -= 1
    }

    /// As `empty`, for inline elements.
    @inline(never)
    private static func deinitialize(_ base: UnsafeMutablePointer<Value>, count: Int) {
        destroy(base, count: count)
    }

    /// Destroys the values one by one: for the few elements of an inline list this costs less
    /// than `deinitialize(count:)`'s generic array destroy.
    @inline(__always)
    private static func destroy(_ base: UnsafeMutablePointer<Value>, count: Int) {
        var i = 0
        while i < count { Calls.release(base + i); i += 1 }
    }

    /// Frees the elements here, inside the call: the optimizer may otherwise end the old array's
    /// life after the depth is restored (it did, and the depth never grew).
    @inline(never)
    private static func empty(_ items: inout [Value]) {
        items = []
    }

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
