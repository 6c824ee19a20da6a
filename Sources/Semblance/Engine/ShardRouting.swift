/// Which shard owns an id: FNV-1a of its UTF-8 bytes modulo the shard count, stable across
/// processes and versions (the files depend on it).
enum ShardRouting {
    static func shard(of id: String, shardCount: Int) -> Int {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in id.utf8 {
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
