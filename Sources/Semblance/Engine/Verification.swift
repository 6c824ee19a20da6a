import Foundation

/// What ``Client/verify(_:)`` or ``Client/verify(_:in:)`` found in a collection's files.
///
/// A collection is sound when ``problems`` is empty. A torn log tail is not a problem (the
/// next open drops it, as a crash in the middle of an append leaves one); it is counted in
/// ``tornTailBytes``.
public struct VerificationReport: Sendable, Hashable, Codable {
    /// One damaged, missing or inconsistent file.
    public struct Problem: Sendable, Hashable, Codable {
        /// The file at fault.
        public var file: String
        /// What is wrong with it, naming the file and byte offset where known.
        public var message: String
        /// The error code an open would fail with (`corruptFile`, `unsupportedFormatVersion`, ...).
        public var code: String
    }

    /// The collection's directory.
    public var directory: String
    /// The hash of `refs/heads/main`, nil before the first checkpoint.
    public var headCommit: String?
    /// Branches whose head and logs were checked.
    public var branches = 0
    /// Vectors (live and deleted) in the branch heads' shards, rebuilt and checked as an
    /// open reads them.
    public var vectors = 0
    /// Graph edges in those shards.
    public var edges = 0
    /// The first link of the history or of a commit that does not hold: a missing or
    /// damaged commit or page, named by the file it should be in.
    public var firstBrokenLink: Problem?
    /// Commits read, following parents from the head.
    public var commits = 0
    /// Object files whose SHA-256 was checked (commits and pages, reachable or not).
    public var objects = 0
    /// Bytes in those objects.
    public var objectBytes: Int64 = 0
    /// Page objects whose header was checked and payload decoded.
    public var pages = 0
    /// Object files that no commit reaches (left by an interrupted checkpoint); their hash is
    /// checked too.
    public var unreachableObjects = 0
    /// Write-ahead logs read.
    public var logs = 0
    /// The records those logs hold.
    public var logRecords = 0
    /// The bytes of the torn tails those logs end in (dropped by the next open; not a problem).
    public var tornTailBytes: Int64 = 0
    /// Log frames of a group of writes that did not reach every shard it spans (a batch cut
    /// by a crash, never acknowledged): the next open drops them. Not a problem.
    public var unfinishedGroupFrames = 0
    /// Everything that does not hold, in the order found.
    public var problems: [Problem] = []

    /// True when every checksum, hash and structure check held.
    public var isSound: Bool { problems.isEmpty }

    init(directory: String) { self.directory = directory }

    mutating func record(_ error: SemblanceError, file: String) {
        problems.append(Problem(file: file, message: error.message, code: error.code.description))
    }
}

extension CollectionEngine {
    /// Checks every file of the collection in `directory` without changing any: the SHA-256
    /// name of every object (the commits reachable from `refs/heads/main` through their
    /// parents, their page objects, and objects that nothing reaches), the header and
    /// payload of every page, the structure of the head commit's shards (as an open reads
    /// them), and the CRC-32C of every write-ahead-log frame.
    ///
    /// All problems are collected, not just the first. It takes no lock and changes nothing,
    /// so it runs while a writer has the collection open: objects never change once
    /// written, and a log being appended to may end in a torn tail (not a problem).
    ///
    /// `logs` is false for a collection that has none (object storage holds commits, not logs).
    /// - Throws: `.unknownCollection` when `directory` holds no collection.
    static func verify(_ fs: any FileSystem, directory: String, logs: Bool = true) throws(SemblanceError) -> VerificationReport {
        guard fs.fileExists(directory + "/config.json") else {
            throw SemblanceError(.unknownCollection, "holds no collection (no config.json)", path: directory)
        }
        var verifier = Verifier(fs: fs, directory: directory, readsLogs: logs)
        verifier.run()
        return verifier.report
    }
}

/// The walk behind ``CollectionEngine/verify(_:directory:)``: reads with the same decoders
/// an open uses, and records each failure instead of stopping at it.
private struct Verifier {
    let fs: any FileSystem
    let directory: String
    let objects: ObjectStore
    let readsLogs: Bool
    var report: VerificationReport
    /// Objects whose hash held, and those that failed (each is read once).
    var checked = Set<ObjectHash>()
    var failed = Set<ObjectHash>()
    /// (vector page, digest page) pairs whose digests were compared with the vectors.
    var checkedDigestPairs = Set<[ObjectHash]>()

    init(fs: any FileSystem, directory: String, readsLogs: Bool) {
        self.fs = fs
        self.directory = directory
        objects = ObjectStore(fs: fs, directory: directory + "/objects")
        self.readsLogs = readsLogs
        report = VerificationReport(directory: directory)
    }

    mutating func run() {
        let configuration = readConfiguration()
        let grafts = readGrafts()
        let refs = Refs(fs: fs, directory: directory + "/refs")
        var branches: [String] = [CollectionFiles.mainBranch]
        var tips: [ObjectHash] = []
        do {
            branches = Array(Set(branches + (try refs.names(.branch)))).sorted()
            for tag in try refs.names(.tag) { if let commit = try refs.read(.tag, tag) { tips.append(commit) } }
        } catch {
            report.record(error, file: refs.directory)
        }
        var heads: [String: ObjectHash] = [:]
        for branch in branches {
            do {
                heads[branch] = try refs.read(.branch, branch)
            } catch {
                report.record(error, file: refs.path(.branch, branch))
            }
        }
        report.headCommit = heads[CollectionFiles.mainBranch]?.hex
        report.branches = branches.count
        var (commits, indexes) = walkCommits(from: Array(heads.values) + tips, configuration: configuration, grafts: grafts)
        checkUnreachableObjects()
        for branch in branches {
            var head = heads[branch]
            // A writer may move the head (and replace the logs) while this reads: when the ref
            // moved after the logs were checked, they are checked again against the new head.
            for attempt in 1...3 {
                if let current = head, commits[current] == nil {
                    let (more, moreIndexes) = walkCommits(from: [current], configuration: configuration, grafts: grafts)
                    commits.merge(more) { $1 }
                    indexes.merge(moreIndexes) { $1 }
                }
                if head != nil && commits[head!] == nil { break }  // its head commit's problem is reported already
                guard readsLogs else { break }
                var shards = head.flatMap { indexes[$0] }
                if head == nil, let configuration {
                    shards = try? (0..<configuration.shardCount).map { (_) throws(SemblanceError) in try VectorIndex(configuration.index) }
                }
                let before = report
                checkLogs(configuration: configuration, branch: branch, head: head, headCommit: head.flatMap { commits[$0] }, indexes: shards)
                let now = try? Refs(fs: fs, directory: directory + "/refs").read(.branch, branch)
                guard attempt < 3, report.problems.count > before.problems.count, let now, now != head else { break }
                report = before
                head = now
            }
        }
    }

    /// `refs/grafts`, where retention cut history (none when it is absent).
    mutating func readGrafts() -> HistoryGrafts {
        do {
            return try HistoryGrafts.read(fs, collection: directory)
        } catch {
            report.record(error, file: HistoryGrafts.path(directory))
            return HistoryGrafts()
        }
    }

    // MARK: Configuration and head

    /// config.json, decoded and checked as an open does; nil (and a problem) when it fails.
    mutating func readConfiguration() -> StoredConfiguration? {
        let path = directory + "/config.json"
        do {
            return try StoredConfiguration.decode(try fs.readFile(path), path: path)
        } catch {
            report.record(error, file: path)
            return nil
        }
    }

    // MARK: Objects

    /// The object's bytes when its hash holds; records a problem (once) when not.
    mutating func read(_ hash: ObjectHash) -> [UInt8]? {
        if failed.contains(hash) { return nil }
        do {
            let bytes = try objects.get(hash)
            if checked.insert(hash).inserted {
                report.objects += 1
                report.objectBytes += Int64(bytes.count)
            }
            return bytes
        } catch {
            failed.insert(hash)
            report.record(error, file: objects.path(of: hash))
            if report.firstBrokenLink == nil { report.firstBrokenLink = report.problems.last }
            return nil
        }
    }

    /// Reads every commit from `tips` (branch heads and tags) through its parents (as
    /// history follows them: through the grafts where retention cut it) and every page they
    /// name; each head's shards are then rebuilt as an open would, to check their
    /// structure. Returns the commits read, and the shards of each head that could be rebuilt.
    mutating func walkCommits(from tips: [ObjectHash], configuration: StoredConfiguration?, grafts: HistoryGrafts) -> ([ObjectHash: CommitObject], [ObjectHash: [VectorIndex]]) {
        var pending = tips
        var seen = Set(tips)
        var commits: [ObjectHash: CommitObject] = [:]
        var indexes: [ObjectHash: [VectorIndex]] = [:]
        let heads = Set(tips)
        while let hash = pending.popLast() {
            guard let bytes = read(hash) else { continue }
            let path = objects.path(of: hash)
            let commit: CommitObject
            do {
                commit = try CommitObject.decode(bytes, file: path)
            } catch {
                report.record(error, file: path)
                continue
            }
            commits[hash] = commit
            report.commits += 1
            var pagesSound = true
            for manifest in commit.shards { pagesSound = checkPages(of: manifest, dimension: commit.configuration.dimension) && pagesSound }
            if heads.contains(hash), let configuration, pagesSound {
                indexes[hash] = checkHeadStructure(commit, path: path, configuration: configuration)
                for shard in indexes[hash] ?? [] {
                    report.vectors += shard.nodeCount
                    report.edges += shard.statistics.edges
                }
            }
            for parent in grafts.parents[hash] ?? commit.parents where seen.insert(parent).inserted { pending.append(parent) }
        }
        return (commits, indexes)
    }

    /// Checks the hash, header and payload of every page a manifest names, and that each
    /// digest page holds the digests of its vector page's rows; false if any fails.
    mutating func checkPages(of manifest: ShardManifest, dimension: Int) -> Bool {
        let tables: [(PageObject.Kind, [ObjectHash])] = [
            (.level0Links, manifest.level0Links), (.upperLinks, manifest.upperLinks),
            (.nodeRecords, manifest.nodeRecords), (.ids, manifest.ids), (.metadata, manifest.metadata ?? []),
        ]
        var sound = true
        for (kind, hashes) in tables {
            for hash in hashes { sound = check(hash, kind).sound && sound }
        }
        let digests = manifest.vectorDigests
        if let digests, digests.count != manifest.vectors.count {
            report.record(SemblanceError(.corruptFile, "the shard manifest names \(digests.count) vector digest pages for \(manifest.vectors.count) vector pages", path: directory), file: directory)
            sound = false
        }
        for (p, hash) in manifest.vectors.enumerated() {
            var vectors = check(hash, .vectors)
            guard let digests, p < digests.count else { sound = vectors.sound && sound; continue }
            var rowDigests = check(digests[p], .vectorDigests)
            sound = vectors.sound && rowDigests.sound && sound
            // Each pair once, however many commits name it (a page decoded for another pair
            // is decoded again).
            guard vectors.sound, rowDigests.sound, checkedDigestPairs.insert([hash, digests[p]]).inserted else { continue }
            if vectors.decoded == nil { vectors = decodeAgain(hash, .vectors) }
            if rowDigests.decoded == nil { rowDigests = decodeAgain(digests[p], .vectorDigests) }
            guard let vectorPage = vectors.decoded, let digestPage = rowDigests.decoded else { sound = false; continue }
            do {
                try VectorIndex.checkDigests(digestPage, of: vectorPage, dimension: dimension, file: objects.path(of: digests[p]))
            } catch {
                failed.insert(digests[p])
                report.record(error, file: objects.path(of: digests[p]))
                sound = false
            }
        }
        return sound
    }

    /// A page already checked, decoded again (for a digest pair not yet compared).
    private mutating func decodeAgain(_ hash: ObjectHash, _ kind: PageObject.Kind) -> (sound: Bool, decoded: (count: Int, payload: [UInt8])?) {
        let path = objects.path(of: hash)
        do {
            return (true, try PageObject.decode(try objects.get(hash), kind: kind, file: path))
        } catch {
            failed.insert(hash)
            report.record(error, file: path)
            return (false, nil)
        }
    }

    /// Checks one page (decoded once, however many commits name it): whether it is sound,
    /// and its row count and payload when this call decoded it.
    private mutating func check(_ hash: ObjectHash, _ kind: PageObject.Kind) -> (sound: Bool, decoded: (count: Int, payload: [UInt8])?) {
        if failed.contains(hash) { return (false, nil) }
        let alreadyDecoded = checked.contains(hash)
        guard let bytes = read(hash) else { return (false, nil) }
        if alreadyDecoded { return (true, nil) }
        let path = objects.path(of: hash)
        do {
            var decoded: (count: Int, payload: [UInt8])? = nil
            switch kind {
            case .ids: _ = try PageObject.decodeIDs(bytes, file: path)
            case .metadata: _ = try PageObject.decodeMetadata(bytes, file: path)
            case .vectors:
                decoded = try PageObject.decode(bytes, kind: kind, file: path)
                try Self.checkFinite(decoded!.payload, file: path)
            default: decoded = try PageObject.decode(bytes, kind: kind, file: path)
            }
            report.pages += 1
            return (true, decoded)
        } catch {
            failed.insert(hash)
            report.record(error, file: path)
            return (false, nil)
        }
    }

    /// The head's shards, read as an open reads them: counts, link bounds, ids, entry point.
    /// Returns the shards when every one of them could be rebuilt.
    mutating func checkHeadStructure(_ commit: CommitObject, path: String, configuration: StoredConfiguration) -> [VectorIndex]? {
        guard commit.shards.count == configuration.shardCount, commit.configuration.storesSamePages(as: configuration.index) else {
            report.record(SemblanceError(.corruptFile, "commit does not match config.json (shards or parameters)", path: path, offset: 0), file: path)
            return nil
        }
        var indexes: [VectorIndex] = []
        for manifest in commit.shards {
            do {
                indexes.append(try VectorIndex.readPages(manifest, configuration: configuration.index, store: objects, storingOriginals: false))
            } catch {
                report.record(error, file: path)
            }
        }
        return indexes.count == commit.shards.count ? indexes : nil
    }

    /// Checks the hash of object files that no commit reached.
    mutating func checkUnreachableObjects() {
        let root = directory + "/objects"
        guard fs.fileExists(root) else {
            if report.headCommit != nil {
                report.record(SemblanceError(.corruptFile, "the objects folder is missing", path: root), file: root)
            }
            return
        }
        do {
            for folder in try fs.contentsOfDirectory(root) where folder.utf8.count == 2 {
                for name in try fs.contentsOfDirectory(root + "/" + folder) where !name.hasPrefix(".tmp-") {
                    guard let hash = ObjectHash(hex: folder + name), !checked.contains(hash), !failed.contains(hash) else { continue }
                    if read(hash) != nil { report.unreachableObjects += 1 }
                }
            }
        } catch {
            report.record(error, file: root)
        }
    }

    // MARK: Logs

    /// Reads every shard's log as an open would (frame checksums, sequence numbers, record
    /// encoding, vector lengths, the collection, branch and shard it belongs to, that it
    /// continues from the head commit, the groups of writes across shards) and replays its
    /// records onto the head's shards, changing nothing.
    mutating func checkLogs(configuration: StoredConfiguration?, branch: String, head: ObjectHash?, headCommit: CommitObject?, indexes: [VectorIndex]?) {
        let folder = CollectionFiles.logFolder(directory, branch: branch)
        guard let configuration else {
            // Without a configuration, read whatever logs are there.
            let names = ((try? fs.contentsOfDirectory(folder)) ?? []).filter { $0.hasPrefix("shard-") && $0.hasSuffix(".log") }
            for name in names.sorted() {
                do {
                    count(try LogReader.read(fs, path: folder + "/" + name, maximumDimension: IndexConfiguration.maximumDimension))
                } catch {
                    report.record(error, file: folder + "/" + name)
                }
            }
            return
        }
        if head != nil && headCommit == nil { return }  // the head commit's problem is reported already
        // A branch never opened since it was created has no logs yet: nothing to check.
        if branch != CollectionFiles.mainBranch && fs.kind(folder) == nil { return }
        var plans: [CollectionStore.LogPlan] = []
        for shard in 0..<configuration.shardCount {
            let applied = headCommit.map { $0.shards.indices.contains(shard) ? $0.shards[shard].appliedSequence : 0 } ?? 0
            do {
                let plan = try CollectionStore.planLog(fs, directory: directory, configuration: configuration, branch: branch,
                                                       head: head, shard: shard, applied: applied)
                count(plan.contents)
                plans.append(plan)
            } catch {
                report.record(error, file: error.path ?? CollectionStore.logPath(directory, branch: branch, shard: shard))
            }
        }
        guard plans.count == configuration.shardCount else { return }
        do {
            let kept = try CollectionStore.keptFrames(plans, shardCount: configuration.shardCount, durability: configuration.durability)
            report.unfinishedGroupFrames += zip(plans, kept).reduce(0) { $0 + $1.0.contents.frames.count - $1.1 }
            // Every kept record must apply to the head's state, as an open applies it.
            if var indexes { try CollectionStore.replay(plans, kept: kept, into: &indexes) }
        } catch {
            report.record(error, file: error.path ?? folder)
        }
    }

    mutating func count(_ log: LogContents) {
        report.logs += 1
        report.tornTailBytes += log.tornTailBytes
        report.logRecords += log.frames.reduce(0) { $0 + $1.records.count }
    }

    /// Throws when the little-endian Float32 components in `payload` (a vector page's
    /// rows) hold a NaN or an infinity, which no write stores: searches would rank it first.
    static func checkFinite(_ payload: [UInt8], file: String) throws(SemblanceError) {
        for offset in stride(from: 0, to: payload.count - 3, by: 4) {
            let bits = UInt32(payload[offset]) | UInt32(payload[offset + 1]) << 8
                | UInt32(payload[offset + 2]) << 16 | UInt32(payload[offset + 3]) << 24
            let component = Float(bitPattern: bits)
            if !component.isFinite {
                throw SemblanceError(.corruptFile, "the stored vector component \(component) is not finite", path: file, offset: offset)
            }
        }
    }
}
