/// An append-only array stored in chunks, so that a copy shares every chunk and the first
/// append after a copy duplicates only the last one.
struct ChunkedArray<Element> {
    static var chunkSize: Int { 1024 }
    private(set) var chunks: [ContiguousArray<Element>] = []
    private(set) var count = 0

    init() {}

    /// An array made of `chunks`, each full but the last.
    init(chunks: [ContiguousArray<Element>]) {
        self.chunks = chunks
        count = chunks.reduce(0) { $0 + $1.count }
    }

    subscript(i: Int) -> Element {
        chunks[i / Self.chunkSize][i % Self.chunkSize]
    }

    mutating func append(_ element: Element) {
        if count % Self.chunkSize == 0 {
            var chunk = ContiguousArray<Element>()
            chunk.reserveCapacity(Self.chunkSize)
            chunks.append(chunk)
        }
        chunks[chunks.count - 1].append(element)
        count += 1
    }
}

extension ChunkedArray: Sendable where Element: Sendable {}
