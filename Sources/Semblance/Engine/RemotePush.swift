import Foundation
import Synchronization

/// What a push did.
public struct PushReport: Sendable, Hashable, Codable {
    /// The commit the remote branch names now.
    public var commit: String
    /// The commit it named before; nil when the remote had no such branch.
    public var previousCommit: String?
    /// Objects (pages and commits) uploaded: those the remote lacked.
    public var uploadedObjects = 0
    /// Their bytes.
    public var uploadedBytes: Int64 = 0
    /// Objects the push needed that the remote had already.
    public var presentObjects = 0

    /// A report of a push that moved the remote branch to `commit`.
    public init(commit: String, previousCommit: String?) {
        self.commit = commit
        self.previousCommit = previousCommit
    }
}

/// Pushes a branch's head commit to a ``RemoteObjectStore``: the settings when the remote
/// lacks them, every object the head's history names that the remote lacks, then the
/// remote branch ref, moved with a conditional write so that of two pushes only one wins.
/// Logs are not pushed: a replica sees commits.
///
/// 1. `<name>/config.json` is written if absent; present, it must hold this collection's id.
/// 2. The remote ref is read with its entity tag. The push is a fast-forward when the
///    remote head is in the local history of the pushed commit; otherwise it is refused
///    unless forced.
/// 3. The commits of the head's history (through the grafts) down to those the remote has,
///    and their pages, are listed; those missing remotely are uploaded, several at a time,
///    each with `If-None-Match: *` (an object that appeared meanwhile is the same bytes).
/// 4. The ref is written `If-Match` the tag read in step 2 (`If-None-Match: *` when it was
///    absent). When another push moved it meanwhile, nothing changes remotely but the
///    uploaded objects, left for the remote's garbage collection, and `.pushRejected` is
///    thrown. A won push then adds the local grafts to the remote's (where the local
///    history is cut), so that the remote's history stops there too.
struct RemotePush {
    let files: CollectionFiles
    let remote: any RemoteObjectStore
    /// The collection's name: its folder in the remote.
    let name: String

    /// Uploads at once.
    static let concurrentUploads = 8

    func push(branch: String, head: ObjectHash, force: Bool) async throws(SemblanceError) -> PushReport {
        let root = name + "/"
        try await ensureConfiguration(root + "config.json")
        let refKey = root + "refs/heads/" + branch
        let remoteRef = try await remote.get(refKey)
        var previous: ObjectHash?
        if let remoteRef {
            guard let hash = Self.refHash(remoteRef.bytes) else {
                throw SemblanceError(.corruptFile, "not a commit hash and a newline", path: remote.location + "/" + refKey)
            }
            previous = hash
        }
        var report = PushReport(commit: head.hex, previousCommit: previous?.hex)
        if previous == head { return report }

        let history = try CommitHistory(files)
        let commits = try history.reachable(from: [head]) { (hash) throws(SemblanceError) in try files.commit(hash) }
        if let previous, !commits.contains(previous), !force {
            throw SemblanceError(.pushRejected, "not a fast-forward: the remote branch \(branch.debugDescription) is at \(previous.hex.prefix(12)), "
                + "which the local history of \(head.hex.prefix(12)) does not hold; push with force to replace it", path: remote.location + "/" + refKey)
        }
        // The history down to the commits the remote has: those came with their pages and
        // what the remote kept of their history (its garbage collection may have pruned it).
        let present = Set(try await remote.list(prefix: root + "objects/").compactMap { RemoteObjects.hash(key: $0.key, root: root) })
        var needed = Set<ObjectHash>()
        var pending = [head]
        var seen: Set<ObjectHash> = [head]
        while let hash = pending.popLast() {
            guard !present.contains(hash) else { continue }
            let commit = try files.commit(hash)
            needed.insert(hash)
            needed.formUnion(commit.shards.flatMap(\.allObjects))
            for parent in history.parents(hash, commit) where seen.insert(parent).inserted { pending.append(parent) }
        }
        let missing = needed.subtracting(present).sorted { $0.hex < $1.hex }
        report.presentObjects = needed.count - missing.count
        let uploaded = try await upload(missing, root: root)
        report.uploadedObjects = uploaded.count
        report.uploadedBytes = uploaded.bytes

        let condition: RemoteWriteCondition = remoteRef.map { .matching($0.etag) } ?? .absent
        if try await remote.put(refKey, Array((head.hex + "\n").utf8), if: condition) == nil {
            let now = (try? await remote.get(refKey)).flatMap { $0 }.flatMap { Self.refHash($0.bytes) }
            // A try whose answer was lost (a reset, a body cut short) may have written the
            // ref before the retry found its condition false: then this push won.
            if now != head {
                throw SemblanceError(.pushRejected, "another push moved the remote branch \(branch.debugDescription) meanwhile"
                    + (now.map { " (to \($0.hex.prefix(12)))" } ?? "") + "; it is unchanged by this one, whose \(uploaded.count) uploaded objects are left for the remote's garbage collection",
                    path: remote.location + "/" + refKey)
            }
        }
        try await pushGrafts(root: root, history: history)
        return report
    }

    /// Where the local history is cut, added to the remote's grafts (once the ref is won):
    /// the remote's own entries (its garbage collection's) stay.
    private func pushGrafts(root: String, history: CommitHistory) async throws(SemblanceError) {
        guard !history.grafts.parents.isEmpty else { return }
        let key = root + "refs/grafts"
        let existing = try await remote.get(key)
        var merged = try existing.map { (object) throws(SemblanceError) in try HistoryGrafts.decode(object.bytes, path: remote.location + "/" + key) }
            ?? HistoryGrafts()
        let before = merged
        for (commit, parents) in history.grafts.parents where merged.parents[commit] == nil { merged.parents[commit] = parents }
        guard merged != before else { return }
        _ = try await remote.put(key, merged.encoded(), if: existing.map { .matching($0.etag) } ?? .absent)
    }

    private func ensureConfiguration(_ key: String) async throws(SemblanceError) {
        let local = try files.fs.readFile(files.directory + "/config.json")
        if try await remote.put(key, local, if: .absent) != nil { return }
        guard let existing = try await remote.get(key) else {
            throw SemblanceError(.storageUnavailable, "the remote's config.json was there and then gone; try again", path: remote.location + "/" + key)
        }
        let stored = try StoredConfiguration.decode(existing.bytes, path: remote.location + "/" + key)
        guard stored.collectionID == files.configuration.collectionID else {
            throw SemblanceError(.pushRejected, "the remote holds another collection under the name \(name.debugDescription) (another collection id)",
                                 path: remote.location + "/" + key)
        }
    }

    /// Uploads `hashes` from the local objects, `concurrentUploads` at a time.
    private func upload(_ hashes: [ObjectHash], root: String) async throws(SemblanceError) -> (count: Int, bytes: Int64) {
        let objects = files.objects
        let remote = remote
        let sizes = try await RemoteObjects.concurrently(hashes, limit: Self.concurrentUploads, location: remote.location) { (hash) throws(SemblanceError) in
            let data = try objects.get(hash)
            return try await remote.put(RemoteObjects.key(hash, root: root), data, if: .absent) == nil ? 0 : Int64(data.count)
        }
        return (sizes.filter { $0 > 0 }.count, sizes.reduce(0, +))
    }

    static func refHash(_ bytes: [UInt8]) -> ObjectHash? {
        guard bytes.count == 65, bytes.last == UInt8(ascii: "\n") else { return nil }
        return ObjectHash(hex: String(decoding: bytes.dropLast(), as: UTF8.self))
    }
}
