extension CollectionSnapshot {
    /// Every live record of this snapshot (id, vector, metadata), shard by shard; the order
    /// is not promised. Under the cosine metric vectors come back normalized.
    ///
    /// ```swift
    /// for record in collection.snapshot().records where record.metadata?["draft"] == true {
    ///     print(record.id)
    /// }
    /// ```
    public var records: Records { Records(shards: shards) }

    /// The live records of a snapshot, read as they are iterated.
    public struct Records: Sequence, Sendable {
        let shards: [VectorIndex]

        /// How many records iterating yields.
        public var underestimatedCount: Int { shards.reduce(0) { $0 + $1.count } }

        public func makeIterator() -> Iterator { Iterator(shards: shards) }

        /// Walks the shards one after another.
        public struct Iterator: IteratorProtocol, Sendable {
            let shards: [VectorIndex]
            var shard = 0
            var current: VectorIndex.Records.Iterator?

            public mutating func next() -> VectorRecord? {
                while shard < shards.count {
                    let index = shards[shard]
                    if current == nil { current = index.records.makeIterator() }
                    if let (id, vector) = current?.next() {
                        return VectorRecord(id: id, vector: vector, metadata: index.metadata(of: id))
                    }
                    current = nil
                    shard += 1
                }
                return nil
            }
        }
    }
}

extension VectorCollection {
    /// Streams every live record of the collection as of now (one snapshot: writes made
    /// while iterating are not seen, and none waits), `batchSize` records at a time: the
    /// task yields between batches, so a long iteration shares its thread. The order is not
    /// promised. A `batchSize` below 1 is taken as 1.
    ///
    /// ```swift
    /// for await record in collection.records() {
    ///     print(record.id, record.metadata ?? "none")
    /// }
    /// ```
    public func records(batchSize: Int = 1000) -> AsyncRecords {
        AsyncRecords(records: snapshot().records, batchSize: max(1, batchSize))
    }

    /// The records of one snapshot, handed out in batches to an async loop.
    public struct AsyncRecords: AsyncSequence, Sendable {
        public typealias Element = VectorRecord
        public typealias Failure = Never

        let records: CollectionSnapshot.Records
        let batchSize: Int

        public func makeAsyncIterator() -> AsyncIterator {
            AsyncIterator(records: records.makeIterator(), batchSize: batchSize)
        }

        /// Reads the next batch when the last one is used up.
        public struct AsyncIterator: AsyncIteratorProtocol, Sendable {
            var records: CollectionSnapshot.Records.Iterator
            let batchSize: Int
            var batch: [VectorRecord] = []
            var position = 0
            var started = false

            public mutating func next() async -> VectorRecord? {
                if position == batch.count {
                    if started { await Task.yield() }
                    started = true
                    batch.removeAll(keepingCapacity: true)
                    while batch.count < batchSize, let record = records.next() { batch.append(record) }
                    position = 0
                    if batch.isEmpty { return nil }
                }
                position += 1
                return batch[position - 1]
            }
        }
    }
}
