import Foundation

/// A commit: each shard's pages and scalar state, the parent commits, time, message and
/// counts. It is stored as an object named by the SHA-256 of its bytes, so its name covers
/// everything in it, its parents' names included: the history is a hash chain.
struct CommitObject: Codable, Equatable, Sendable {
    static let formatVersion = 1

    var format: Int
    var parents: [ObjectHash]
    /// Seconds since 1970-01-01 UTC.
    var time: Double
    var message: String
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
        guard (1...formatVersion).contains(version.format) else {
            throw SemblanceError(.unsupportedFormatVersion, "commit format \(version.format) is newer than this Semblance reads (\(formatVersion))", path: file)
        }
        do {
            return try JSONDecoder().decode(CommitObject.self, from: data)
        } catch {
            throw SemblanceError(.corruptFile, "commit does not decode (\(error))", path: file, offset: 0)
        }
    }
}

/// Branch heads: `refs/heads/<branch>` holds the head commit's hash and a newline, and is
/// replaced by an atomic rename (temp file, fsync, rename, directory fsync).
struct Refs {
    let fs: any FileSystem
    let directory: String

    func path(of branch: String) -> String { directory + "/heads/" + branch }

    func head(_ branch: String) throws(SemblanceError) -> ObjectHash? {
        let path = path(of: branch)
        guard fs.fileExists(path) else { return nil }
        let text = String(decoding: try fs.readFile(path), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let hash = ObjectHash(hex: text) else {
            throw SemblanceError(.corruptFile, "not a commit hash", path: path, offset: 0)
        }
        return hash
    }

    func setHead(_ branch: String, to hash: ObjectHash) throws(SemblanceError) {
        try fs.writeFileAtomically(path(of: branch), Array((hash.hex + "\n").utf8))
    }
}
