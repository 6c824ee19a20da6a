import Foundation
import Synchronization

extension RemoteMirror {
    /// Checks the collection in the remote as ``Client/verify(_:)`` checks a directory.
    ///
    /// The remote's refs and grafts are read as they are into a scratch folder beside the
    /// mirror's (with a copy of `config.json`), then every object the remote lists is
    /// downloaded into it, checked against its hash (a body that never matches is a problem
    /// naming its key, and is not kept; the folder gets the good ones it lacks). The walk of
    /// a directory's verify then checks the remote as it is: every commit of every branch
    /// and tag, every page, each head's structure, the objects nothing reaches; an object
    /// missing remotely is missing there. Problems name the remote keys. The refs are read
    /// before the objects are listed, so a push running meanwhile adds objects, never a ref
    /// to objects not listed.
    func verify() async throws(SemblanceError) -> VerificationReport {
        try await syncConfiguration(opening: false)
        let scratch = Path.directory(of: directory) + "/." + name + ".verify-" + UUID().uuidString
        var problems: [VerificationReport.Problem] = []
        var report: VerificationReport
        do {
            problems += try await readRefs(into: scratch)
            problems += try await gatherObjects(into: scratch + "/objects")
            report = try await walk(scratch)
        } catch {
            try? fs.removeTree(scratch)
            throw error
        }
        try? fs.removeTree(scratch)
        // Named as the remote names them: the scratch folder stands for the collection's root.
        let naming = RemoteNaming(replacing: scratch + "/", with: remote.location + "/" + remoteRoot)
        report.directory = remote.location + "/" + name
        report.firstBrokenLink = report.firstBrokenLink.map(naming.rename)
        // A damaged download is also missing from the scratch folder: reported once, as damaged.
        let reported = Set(problems.map(\.file))
        report.problems = problems + report.problems.map(naming.rename).filter { !reported.contains($0.file) }
        return report
    }

    /// Downloads every object the remote lists into `objects`, each checked against its
    /// hash, and gives the folder those it lacks; the problems found: keys that are not an
    /// object's, objects whose every download was damaged.
    private func gatherObjects(into objects: String) async throws(SemblanceError) -> [VerificationReport.Problem] {
        var problems: [VerificationReport.Problem] = []
        var listed: [ObjectHash] = []
        for listing in try await remote.list(prefix: remoteRoot + "objects/") {
            guard let hash = RemoteObjects.hash(key: listing.key, root: remoteRoot) else {
                problems.append(.init(file: remote.location + "/" + listing.key, message: "not the key of an object (objects/ab/ and 62 hex digits)",
                                      code: SemblanceError.Code.corruptFile.description))
                continue
            }
            listed.append(hash)
        }
        let damaged = DamagedDownloads()
        let mirror = self
        _ = try await RemoteObjects.concurrently(listed, limit: Self.concurrentDownloads, location: remote.location) { (hash) throws(SemblanceError) in
            try await mirror.download(hash, into: ObjectStore(fs: mirror.fs, directory: objects), recordingDamageIn: damaged)
        }
        return problems + damaged.problems.sorted { $0.file < $1.file }
    }

    /// A collection folder at `scratch` holding the mirror's `config.json` and the remote's
    /// refs and grafts as they are; the problems found: ref keys that are not names.
    private func readRefs(into scratch: String) async throws(SemblanceError) -> [VerificationReport.Problem] {
        var problems: [VerificationReport.Problem] = []
        try fs.createDirectory(scratch + "/objects")
        try fs.writeFileAtomically(scratch + "/config.json", try fs.readFile(directory + "/config.json"))
        for folder in ["refs/heads/", "refs/tags/"] {
            try fs.createDirectory(scratch + "/" + folder)
            for listing in try await remote.list(prefix: remoteRoot + folder) {
                let name = String(listing.key.dropFirst(remoteRoot.count + folder.count))
                guard (try? RefName.validate(name, kind: .branch)) != nil else {
                    problems.append(.init(file: remote.location + "/" + listing.key, message: "not a branch or tag name",
                                          code: SemblanceError.Code.corruptFile.description))
                    continue
                }
                if let object = try await remote.get(listing.key) { try fs.writeFileAtomically(scratch + "/" + folder + name, object.bytes) }
            }
        }
        if let grafts = try await remote.get(remoteRoot + "refs/grafts") {
            try fs.writeFileAtomically(HistoryGrafts.path(scratch), grafts.bytes)
        }
        return problems
    }

    /// The walk of a directory's verify over `scratch`, without logs.
    private func walk(_ scratch: String) async throws(SemblanceError) -> VerificationReport {
        let fs = fs
        return try await runOnQueue(.global()) { () throws(SemblanceError) in
            try CollectionEngine.verify(fs, directory: scratch, logs: false)
        }
    }
}

extension RemoteMirror {
    /// An object downloaded into `objects` (and given to the folder when it lacks it),
    /// checked against its hash; a damaged one is recorded in `damaged` instead of thrown,
    /// and one gone meanwhile (a remote garbage collection) is left to the walk, which
    /// reports it if a commit names it.
    fileprivate func download(_ hash: ObjectHash, into store: ObjectStore, recordingDamageIn damaged: DamagedDownloads) async throws(SemblanceError) -> Int64 {
        let size: Int64
        do {
            guard let downloaded = try await download(hash, required: false, into: store) else { return 0 }
            size = downloaded
        } catch where error.code == .corruptFile {
            damaged.record(.init(file: error.path ?? RemoteObjects.key(hash, root: remoteRoot), message: error.message, code: error.code.description))
            return 0
        }
        let cached = objectPath(hash)
        if fs.kind(cached) != .file {
            try fs.createDirectory(Path.directory(of: cached))
            try fs.link(store.path(of: hash), to: cached)
        }
        return size
    }
}

/// Local paths in a verification's problems, renamed to the remote keys they stand for.
private struct RemoteNaming {
    let replacing: String
    let with: String

    func rename(_ text: String) -> String { text.replacingOccurrences(of: replacing, with: with) }

    func rename(_ problem: VerificationReport.Problem) -> VerificationReport.Problem {
        .init(file: rename(problem.file), message: rename(problem.message), code: problem.code)
    }
}

/// The objects whose every download was damaged, from concurrent downloads.
private final class DamagedDownloads: Sendable {
    private let list = Mutex<[VerificationReport.Problem]>([])
    func record(_ problem: VerificationReport.Problem) { list.withLock { $0.append(problem) } }
    var problems: [VerificationReport.Problem] { list.withLock { $0 } }
}
