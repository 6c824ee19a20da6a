import Synchronization

/// What keeps a garbage collection in this process from deleting an object that a commit in
/// progress is using. A commit (or a new ref) runs between ``beginCommit()`` and
/// ``endCommit()`` and calls ``use(_:)`` for every object it is about to name, before it
/// checks whether the object exists. Used objects are remembered while any commit or
/// collection runs; the sweep deletes an object only under the same lock and only if it was
/// not used. So either the use comes first (the object is kept) or the deletion does (the
/// writer then finds it missing and writes it again). A commit that ended before a
/// collection began has moved its ref, which the collection reads.
final class ObjectPins: Sendable {
    private struct State {
        var commits = 0
        var collections = 0
        var used = Set<ObjectHash>()
        var active: Bool { commits > 0 || collections > 0 }
    }
    private let state = Mutex(State())

    init() {}

    func use(_ hash: ObjectHash) {
        state.withLock { if $0.active { $0.used.insert(hash) } }
    }

    func use(_ hashes: some Sequence<ObjectHash>) {
        state.withLock { s in if s.active { s.used.formUnion(hashes) } }
    }

    func beginCommit() { state.withLock { $0.commits += 1 } }

    func endCommit() { end { $0.commits -= 1 } }

    func beginCollection() { state.withLock { $0.collections += 1 } }

    func endCollection() { end { $0.collections -= 1 } }

    private func end(_ change: (inout State) -> Void) {
        state.withLock { s in
            change(&s)
            if !s.active { s.used = [] }
        }
    }

    /// Runs `delete` (under the lock) unless `hash` was used since the collection began;
    /// returns whether it ran.
    func deleteUnlessUsed(_ hash: ObjectHash, _ delete: () throws(SemblanceError) -> Void) throws(SemblanceError) -> Bool {
        try state.withLock { (s) throws(SemblanceError) -> Bool in
            if s.used.contains(hash) { return false }
            try delete()
            return true
        }
    }
}

/// Where history was cut by retention: for each kept commit whose parents are not all kept,
/// the parents that history follows instead (the nearest kept ancestors; none when it is
/// where history now starts). `refs/grafts`, one line per commit: its hash, then those
/// parents' hashes, separated by spaces; replaced atomically by each garbage collection
/// before it deletes anything.
struct HistoryGrafts: Equatable, Sendable {
    var parents: [ObjectHash: [ObjectHash]] = [:]

    static func path(_ collection: String) -> String { collection + "/refs/grafts" }

    static func read(_ fs: any FileSystem, collection: String) throws(SemblanceError) -> HistoryGrafts {
        let path = path(collection)
        guard fs.kind(path) == .file else { return HistoryGrafts() }
        return try decode(try fs.readFile(path), path: path)
    }

    /// The grafts in `bytes` (a grafts file's content, read from `path`).
    static func decode(_ bytes: [UInt8], path: String) throws(SemblanceError) -> HistoryGrafts {
        var grafts = HistoryGrafts()
        for (number, line) in String(decoding: bytes, as: UTF8.self).split(separator: "\n").enumerated() {
            let hashes = line.split(separator: " ").map { ObjectHash(hex: String($0)) }
            guard let commit = hashes.first ?? nil, hashes.allSatisfy({ $0 != nil }) else {
                throw SemblanceError(.corruptFile, "line \(number + 1) is not a list of commit hashes", path: path)
            }
            grafts.parents[commit] = hashes.dropFirst().map { $0! }
        }
        return grafts
    }

    func write(_ fs: any FileSystem, collection: String) throws(SemblanceError) {
        try fs.writeFileAtomically(Self.path(collection), encoded())
    }

    /// The file's content.
    func encoded() -> [UInt8] {
        let lines = parents.keys.sorted { $0.hex < $1.hex }.map { commit in
            ([commit] + parents[commit]!).map(\.hex).joined(separator: " ") + "\n"
        }
        return Array(lines.joined().utf8)
    }
}
