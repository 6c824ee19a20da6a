import Testing
@testable import Semblance

@Suite("LZ4 through the system liblz4")
struct LZ4Tests {
    static let samples: [[UInt8]] = {
        var rng = SeededGenerator(seed: 4)
        let random = (0..<70_000).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let repetitive = Array(String(repeating: "semblance vector database ", count: 4000).utf8)
        let floats = (0..<3000).flatMap { i in withUnsafeBytes(of: Float(i % 17) * 0.5) { Array($0) } }
        return [[], [42], random, repetitive, floats]
    }()

    @Test("round trip, and repetitive data shrinks", arguments: samples.indices)
    func roundTrip(_ i: Int) throws {
        let input = Self.samples[i]
        let compressed = try LZ4.compress(input)
        let restored = try LZ4.decompress(compressed, size: input.count, limit: 1 << 24)
        #expect(restored == input)
        if i == 3 { #expect(compressed.count * 20 < input.count) }
    }

    @Test("a declared size over the limit is refused before allocating")
    func sizeCap() throws {
        let compressed = try LZ4.compress(Self.samples[3])
        #expect(throws: SemblanceError.self) { try LZ4.decompress(compressed, size: 1 << 40, limit: 1 << 24) }
        #expect(throws: SemblanceError.self) { try LZ4.decompress(compressed, size: -1, limit: 1 << 24) }
    }

    @Test("a declared size more than a block can expand to is refused; the most a block does expand still decodes")
    func expansionCap() throws {
        // 1 MiB of zeros is the most compressible input there is: it must still decode.
        let zeros = [UInt8](repeating: 0, count: 1 << 20)
        let block = try LZ4.compress(zeros)
        #expect(try LZ4.decompress(block, size: zeros.count, limit: 64 << 20) == zeros)
        #expect(zeros.count <= block.count * 256 + 64)
        // Ten bytes cannot claim 64 MiB.
        #expect(throws: SemblanceError.self) { try LZ4.decompress([UInt8](repeating: 7, count: 10), size: 64 << 20, limit: 64 << 20) }
    }

    @Test("a damaged or truncated block, or a wrong size, is a typed error")
    func damage() throws {
        let input = Self.samples[3]
        let compressed = try LZ4.compress(input)
        for cut in [1, compressed.count / 2, compressed.count - 1] {
            #expect(throws: SemblanceError.self) {
                try LZ4.decompress(Array(compressed.prefix(cut)), size: input.count, limit: 1 << 24)
            }
        }
        #expect(throws: SemblanceError.self) { try LZ4.decompress(compressed, size: input.count - 1, limit: 1 << 24) }
        #expect(throws: SemblanceError.self) { try LZ4.decompress(compressed, size: input.count + 1, limit: 1 << 24) }
        #expect(throws: SemblanceError.self) { try LZ4.decompress([0xFF, 0xFF, 0xFF], size: 100, limit: 1 << 24) }
    }
}
