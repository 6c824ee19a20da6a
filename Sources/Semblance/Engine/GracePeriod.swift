import Foundation

/// Which unreachable objects a garbage collection deletes now, and which wait out the grace
/// period, with since when (the `gc-pending` list, on disk or in object storage: one line
/// per object, its hash and the time in seconds since 1970, separated by a space).
struct GracePeriod {
    /// Unreachable objects whose grace period is over.
    var due: [(hash: ObjectHash, isCommit: Bool)] = []
    /// Unreachable objects still waiting, with the time they were first found so.
    var marked: [ObjectHash: Double] = [:]

    /// - Parameters:
    ///   - candidates: the unreachable objects found now.
    ///   - markedBefore: the pending list the last collection left.
    ///   - pagesOf: the pages a waiting commit names; nil when it cannot be read.
    init(candidates: [(hash: ObjectHash, isCommit: Bool)], markedBefore: [ObjectHash: Double], now: Date, grace: Double,
         pagesOf: (ObjectHash) -> [ObjectHash]?) {
        var waiting: [ObjectHash] = []
        for candidate in candidates {
            let since = markedBefore[candidate.hash] ?? now.timeIntervalSince1970
            if now.timeIntervalSince1970 - since >= grace { due.append(candidate) } else {
                marked[candidate.hash] = since
                if candidate.isCommit { waiting.append(candidate.hash) }
            }
        }
        // A page stays as long as a commit still waiting out its grace names it (a page can
        // have been garbage longer than a commit that re-used it since), so that no commit,
        // reachable or not, ever loses its pages before it is deleted itself.
        var namedByWaiting = Set<ObjectHash>()
        for hash in waiting { namedByWaiting.formUnion(pagesOf(hash) ?? []) }
        var marked = marked
        due.removeAll { candidate in
            guard namedByWaiting.contains(candidate.hash) else { return false }
            marked[candidate.hash] = markedBefore[candidate.hash] ?? now.timeIntervalSince1970
            return true
        }
        self.marked = marked
    }

    /// Reads a pending list.
    /// - Throws: `.corruptFile` naming `path` for a line that is not a hash and a time.
    static func decode(_ bytes: [UInt8], path: String) throws(SemblanceError) -> [ObjectHash: Double] {
        var marked: [ObjectHash: Double] = [:]
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
            let parts = line.split(separator: " ")
            guard parts.count == 2, let hash = ObjectHash(hex: String(parts[0])), let time = Double(parts[1]) else {
                throw SemblanceError(.corruptFile, "not a line of an object hash and a time: \(line)", path: path)
            }
            marked[hash] = time
        }
        return marked
    }

    static func encode(_ marked: [ObjectHash: Double]) -> [UInt8] {
        Array(marked.keys.sorted { $0.hex < $1.hex }.map { "\($0.hex) \(marked[$0]!)\n" }.joined().utf8)
    }
}
