import Foundation

/// A reader's lease, `leases/<id>` in a collection's folder (JSON): the commits a reader in
/// another process serves, and the time until which it claims them. A garbage collection
/// keeps every commit a lease names until the lease expires; the reader renews it while it
/// runs. docs/file-format.md, "Reader leases".
struct LeaseFile: Codable, Equatable, Sendable {
    /// Seconds since 1970 (UTC) until which the commits are claimed.
    var expires: Double
    /// The claimed commits' hashes, in hex.
    var commits: [String]
    /// The reader's process id: for a person reading the folder, not for the collector.
    var process: Int32
}

/// The `leases/` folder of a collection.
struct LeaseFolder {
    let fs: any FileSystem
    /// The collection's folder.
    let collection: String

    var path: String { collection + "/leases" }

    /// Writes lease `id` whole: into `<id>.next`, renamed over `<id>`, so that a collector
    /// reads this lease or the one before, never a part. Not synced: a lease matters only
    /// while its reader runs, and a power loss ends the reader too.
    func write(id: String, _ lease: LeaseFile) throws(SemblanceError) {
        // Never the collection's folder itself: one dropped meanwhile stays gone.
        guard fs.kind(collection + "/config.json") == .file else {
            throw SemblanceError(.unknownCollection, "the collection was dropped (no config.json)", path: collection)
        }
        if fs.kind(path) != .directory { try fs.createDirectory(path) }
        let next = path + "/" + id + ".next"
        let bytes: [UInt8]
        do { bytes = Array(try JSONEncoder().encode(lease)) } catch {
            throw SemblanceError(.invalidArgument, "the lease cannot be encoded: \(error)", path: next)
        }
        let file = try fs.open(next, .createOrOpen)
        do {
            try fs.truncate(file, to: 0)
            try fs.write(file, bytes, at: 0)
        } catch {
            fs.close(file)
            throw error
        }
        fs.close(file)
        try fs.rename(next, to: path + "/" + id)
    }

    /// Removes lease `id` (and its `.next`), if there.
    func remove(id: String) {
        for name in [id, id + ".next"] where fs.kind(path + "/" + name) == .file { try? fs.remove(path + "/" + name) }
    }

    /// The commits named by leases that have not expired at `now`, and how many such leases
    /// there are. With `removingExpired` (a writer's collection), expired leases are removed:
    /// their readers were killed or suspended past their lease.
    /// - Throws: `.corruptFile` naming a lease that is not one: nothing can be collected
    ///   safely until a person looks at it.
    func claims(now: Date, removingExpired: Bool) throws(SemblanceError) -> (commits: Set<ObjectHash>, leases: Int) {
        guard fs.kind(path) == .directory else { return ([], 0) }
        var commits = Set<ObjectHash>()
        var live = 0
        for name in try fs.contentsOfDirectory(path) where !name.hasSuffix(".next") && fs.kind(path + "/" + name) == .file {
            let file = path + "/" + name
            // Removed by its reader (closed) or by another collector since the listing.
            guard let bytes = try? fs.readFile(file) else { continue }
            guard let lease = try? JSONDecoder().decode(LeaseFile.self, from: Data(bytes)),
                  case let hashes = lease.commits.compactMap(ObjectHash.init(hex:)), hashes.count == lease.commits.count
            else {
                throw SemblanceError(.corruptFile, "not a reader's lease (JSON with expires, commits and process); remove it once no reader uses it",
                                     path: file)
            }
            if lease.expires >= now.timeIntervalSince1970 {
                live += 1
                commits.formUnion(hashes)
            } else if removingExpired {
                // Read again just before: a renewal renamed in since is not removed.
                let again = (try? fs.readFile(file)).flatMap { try? JSONDecoder().decode(LeaseFile.self, from: Data($0)) }
                if let again, again.expires < now.timeIntervalSince1970 { remove(id: name) }
            }
        }
        return (commits, live)
    }
}
