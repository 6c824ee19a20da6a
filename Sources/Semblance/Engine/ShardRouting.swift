import Foundation

/// Which shard owns an id: FNV-1a of the UTF-8 bytes of its canonical composition (NFC)
/// modulo the shard count, stable across processes and versions (the files depend on it).
///
/// Swift's `String` compares by canonical equivalence, so "café" spelled with a precomposed
/// "é" and with "e" plus a combining accent is one id to a shard's id map; both spellings
/// must therefore reach the same shard. An ASCII id is its own composition and is hashed as
/// it is, with no copy.
enum ShardRouting {
    static func shard(of id: String, shardCount: Int) -> Int {
        let bytes = id.utf8.allSatisfy { $0 < 0x80 } ? id.utf8 : id.precomposedStringWithCanonicalMapping.utf8
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01B3
        }
        return Int(hash % UInt64(shardCount))
    }
}

extension ShardRouting {
    /// `records` split by shard, each shard's in their order, with each one's position in
    /// `records` (to put per-record answers back in order).
    static func split(_ records: [LogRecord], shardCount: Int) -> (perShard: [[LogRecord]], positions: [[Int]]) {
        var perShard = [[LogRecord]](repeating: [], count: shardCount)
        var positions = [[Int]](repeating: [], count: shardCount)
        for (position, record) in records.enumerated() {
            let shard = shard(of: record.id, shardCount: shardCount)
            perShard[shard].append(record)
            positions[shard].append(position)
        }
        return (perShard, positions)
    }
}
