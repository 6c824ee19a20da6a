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
