@testable import Semblance

/// Commit objects: `CommitObject.decode` on a commit's bytes (JSON). A commit that decodes
/// is encoded again (`encoded()`, as a checkpoint writes it) and must decode to the same
/// commit; encoding it once more gives the same bytes.
enum CommitTarget {
    static let target = FuzzTarget(
        name: "commit", summary: "commit objects (CommitObject.decode)",
        run: { run($0) }, seeds: { try seeds() })

    static func run(_ input: [UInt8]) {
        guard let commit = try? CommitObject.decode(input, file: "commit") else { return }
        let bytes: [UInt8]
        do {
            bytes = try commit.encoded()
        } catch {
            fatalError("property violated: a commit that decoded cannot be encoded: \(error)")
        }
        guard let again = try? CommitObject.decode(bytes, file: "commit written again") else {
            fatalError("property violated: a commit encoded again does not decode: \(String(decoding: bytes, as: UTF8.self))")
        }
        require(again == commit, "a commit encoded again decodes to another commit")
        require((try? again.encoded()) == bytes, "a commit encoded twice gives other bytes")
    }

    static func seeds() throws -> [(name: String, bytes: [UInt8])] {
        func manifest(_ nodes: Int, metadata: Bool) -> ShardManifest {
            let page = ObjectHash(of: Array("page \(nodes)".utf8))
            return ShardManifest(
                nodeCount: nodes, upperRowCount: nodes / 3, liveCount: nodes - 1, entryPoint: nodes > 0 ? 0 : nil,
                maxLevel: nodes > 0 ? 2 : 0, levelGeneratorState: 0x5EB1_A4CE, appliedSequence: UInt64(nodes * 2),
                vectors: [page], level0Links: [page], upperLinks: nodes > 2 ? [page] : [], nodeRecords: [page], ids: [page],
                metadata: metadata ? [page] : nil, metadataGroups: metadata ? [0] : nil)
        }
        let parent = ObjectHash(of: Array("parent".utf8))
        let first = CommitObject(
            format: 2, parents: [], time: 1_700_000_000, message: "create", branch: "main", automatic: true,
            configuration: IndexConfiguration(dimension: 384), shards: [manifest(0, metadata: false)], liveCount: 0, nodeCount: 0)
        let second = CommitObject(
            format: 2, parents: [parent, ObjectHash(of: Array("other".utf8))], time: 1_700_000_123.456,
            message: "merge: 2 shards, \"quoted\" and ü", branch: "feature.v2_x-1", automatic: false,
            configuration: IndexConfiguration(dimension: 3, metric: .innerProduct, m: 8, efConstruction: 40, defaultEf: 10, seed: 42),
            shards: [manifest(10, metadata: true), manifest(3, metadata: false)], liveCount: 11, nodeCount: 13)
        var newer = first
        newer.format = 3
        return [
            ("seed-first", try first.encoded()),
            ("seed-two-shards", try second.encoded()),
            ("seed-newer-format", try newer.encoded()),
        ]
    }
}
