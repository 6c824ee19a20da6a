import Foundation

/// A commit: each shard's pages and scalar state, the parent commits, time, message,
/// branch and counts. It is stored as an object named by the SHA-256 of its bytes, so its
/// name covers everything in it, its parents' names included: the history is a hash chain.
struct CommitObject: Codable, Equatable, Sendable {
    static let formatVersion = 2

    var format: Int
    /// The branch's previous head first; a merge commit names the merged commit second.
    var parents: [ObjectHash]
    /// Seconds since 1970-01-01 UTC.
    var time: Double
    var message: String
    /// The branch the commit was made on.
    var branch: String
    /// A checkpoint the engine made by itself (or `checkpoint()`), not a `commit(message:)`:
    /// retention keeps fewer of these.
    var automatic: Bool
    var configuration: IndexConfiguration
    var shards: [ShardManifest]
    var liveCount: Int
    var nodeCount: Int

    func encoded() throws(SemblanceError) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        do {
            return Array(try encoder.encode(self))
        } catch {
            throw SemblanceError(.invalidArgument, "commit could not be encoded: \(error)")
        }
    }

    static func decode(_ bytes: [UInt8], file: String) throws(SemblanceError) -> CommitObject {
        struct Versioned: Decodable { var format: Int }
        let data = Data(bytes)
        guard let version = try? JSONDecoder().decode(Versioned.self, from: data) else {
            throw SemblanceError(.corruptFile, "not a Semblance commit (no format field)", path: file, offset: 0)
        }
        guard version.format == formatVersion else {
            throw SemblanceError(.unsupportedFormatVersion, version.format > formatVersion
                ? "commit format \(version.format) is newer than this Semblance reads (\(formatVersion))"
                : "commit format \(version.format) was never released; this Semblance reads \(formatVersion)", path: file)
        }
        do {
            return try JSONDecoder().decode(CommitObject.self, from: data)
        } catch {
            throw SemblanceError(.corruptFile, "commit does not decode (\(error))", path: file, offset: 0)
        }
    }
}

extension CommitObject {
    /// A commit of `manifests` made now, its counts summed from them.
    init(parents: [ObjectHash], message: String, branch: String, automatic: Bool, configuration: IndexConfiguration,
         shards manifests: [ShardManifest]) {
        self.init(format: Self.formatVersion, parents: parents, time: Date().timeIntervalSince1970, message: message, branch: branch,
                  automatic: automatic, configuration: configuration, shards: manifests,
                  liveCount: manifests.reduce(0) { $0 + $1.liveCount }, nodeCount: manifests.reduce(0) { $0 + $1.nodeCount })
    }
}
