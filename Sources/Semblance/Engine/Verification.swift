import Foundation

/// What ``CollectionEngine/verify(_:directory:)`` found in a collection's files.
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
    /// Write-ahead logs read, the records they hold, and the bytes of torn tails they end in.
    public var logs = 0
    public var logRecords = 0
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
    /// All problems are collected, not just the first. The collection must not be open:
    /// another holder of its `LOCK` could be changing the files meanwhile.
    /// - Throws: `.locked` when a process has the collection open; `.invalidArgument` when
    ///   `directory` holds no collection.
    static func verify(_ fs: any FileSystem, directory: String) throws(SemblanceError) -> VerificationReport {
        guard fs.fileExists(directory + "/config.json") else {
            throw SemblanceError(.unknownCollection, "holds no collection (no config.json)", path: directory)
        }
        // Taken only when the file exists: every open creates it, so a missing one means no
        // process has the collection open, and creating it would change the directory.
        let lockPath = directory + "/LOCK"
        let lock = fs.fileExists(lockPath) ? try fs.lockExclusively(lockPath) : nil
        defer { if let lock { fs.close(lock) } }
        var verifier = Verifier(fs: fs, directory: directory)
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
    var report: VerificationReport
    /// Objects whose hash held, and those that failed (each is read once).
    var checked = Set<ObjectHash>()
    var failed = Set<ObjectHash>()

    init(fs: any FileSystem, directory: String) {
        self.fs = fs
        self.directory = directory
        objects = ObjectStore(fs: fs, directory: directory + "/objects")
        report = VerificationReport(directory: directory)
    }

    mutating func run() {
        let configuration = readConfiguration()
        let head = readHead()
        report.headCommit = head?.hex
        var headCommit: CommitObject?
        var indexes: [VectorIndex]?
        if let head { (headCommit, indexes) = walkCommits(from: head, configuration: configuration) }
        if head == nil, let configuration {
            indexes = try? (0..<configuration.shardCount).map { (_) throws(SemblanceError) in try VectorIndex(configuration.index) }
        }
        checkUnreachableObjects()
        checkLogs(configuration: configuration, head: head, headCommit: headCommit, indexes: indexes)
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

    mutating func readHead() -> ObjectHash? {
        let refs = Refs(fs: fs, directory: directory + "/refs")
        do {
            return try refs.read(.branch, CollectionFiles.mainBranch)
        } catch {
            report.record(error, file: refs.path(.branch, CollectionFiles.mainBranch))
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
            return nil
        }
    }

    /// Reads every commit from `head` through its parents and every page they name; the
    /// head's shards are then rebuilt as an open would, to check their structure. Returns
    /// the head's commit when it could be read, and its shards when they could be rebuilt.
    mutating func walkCommits(from head: ObjectHash, configuration: StoredConfiguration?) -> (CommitObject?, [VectorIndex]?) {
        var pending = [head]
        var seen: Set<ObjectHash> = [head]
        var headCommit: CommitObject?
        var indexes: [VectorIndex]?
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
            report.commits += 1
            var pagesSound = true
            for manifest in commit.shards { pagesSound = checkPages(of: manifest) && pagesSound }
            if hash == head {
                headCommit = commit
                if let configuration, pagesSound { indexes = checkHeadStructure(commit, path: path, configuration: configuration) }
            }
            for parent in commit.parents where seen.insert(parent).inserted { pending.append(parent) }
        }
        return (headCommit, indexes)
    }

    /// Checks the hash, header and payload of every page a manifest names; false if any fails.
    mutating func checkPages(of manifest: ShardManifest) -> Bool {
        let tables: [(PageObject.Kind, [ObjectHash])] = [
            (.vectors, manifest.vectors), (.level0Links, manifest.level0Links), (.upperLinks, manifest.upperLinks),
            (.nodeRecords, manifest.nodeRecords), (.ids, manifest.ids), (.metadata, manifest.metadata ?? []),
        ]
        var sound = true
        for (kind, hashes) in tables {
            for hash in hashes {
                if failed.contains(hash) { sound = false; continue }
                // A page shared by several commits is decoded once.
                let alreadyDecoded = checked.contains(hash)
                guard let bytes = read(hash) else { sound = false; continue }
                if alreadyDecoded { continue }
                do {
                    switch kind {
                    case .ids: _ = try PageObject.decodeIDs(bytes, file: objects.path(of: hash))
                    case .metadata: _ = try PageObject.decodeMetadata(bytes, file: objects.path(of: hash))
                    case .vectors:
                        let path = objects.path(of: hash)
                        try Self.checkFinite(PageObject.decode(bytes, kind: kind, file: path).payload, file: path)
                    default: _ = try PageObject.decode(bytes, kind: kind, file: objects.path(of: hash))
                    }
                    report.pages += 1
                } catch {
                    failed.insert(hash)
                    report.record(error, file: objects.path(of: hash))
                    sound = false
                }
            }
        }
        return sound
    }

    /// The head's shards, read as an open reads them: counts, link bounds, ids, entry point.
    /// Returns the shards when every one of them could be rebuilt.
    mutating func checkHeadStructure(_ commit: CommitObject, path: String, configuration: StoredConfiguration) -> [VectorIndex]? {
        guard commit.shards.count == configuration.shardCount, commit.configuration == configuration.index else {
            report.record(SemblanceError(.corruptFile, "commit does not match config.json (shards or parameters)", path: path, offset: 0), file: path)
            return nil
        }
        var indexes: [VectorIndex] = []
        for manifest in commit.shards {
            do {
                indexes.append(try VectorIndex.readPages(manifest, configuration: configuration.index, store: objects))
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
    mutating func checkLogs(configuration: StoredConfiguration?, head: ObjectHash?, headCommit: CommitObject?, indexes: [VectorIndex]?) {
        let folder = directory + "/wal/main"
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
        var plans: [CollectionStore.LogPlan] = []
        for shard in 0..<configuration.shardCount {
            let applied = headCommit.map { $0.shards.indices.contains(shard) ? $0.shards[shard].appliedSequence : 0 } ?? 0
            do {
                let plan = try CollectionStore.planLog(fs, directory: directory, configuration: configuration, branch: CollectionFiles.mainBranch,
                                                       head: head, shard: shard, applied: applied)
                count(plan.contents)
                plans.append(plan)
            } catch {
                report.record(error, file: error.path ?? CollectionStore.logPath(directory, branch: CollectionFiles.mainBranch, shard: shard))
            }
        }
        guard plans.count == configuration.shardCount else { return }
        do {
            let kept = try CollectionStore.keptFrames(plans, shardCount: configuration.shardCount, durability: configuration.durability)
            report.unfinishedGroupFrames = zip(plans, kept).reduce(0) { $0 + $1.0.contents.frames.count - $1.1 }
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
