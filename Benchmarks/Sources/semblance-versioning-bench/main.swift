// semblance-versioning-bench: the versioning figures of docs/benchmarks.md.
//
//   swift run -c release --package-path Benchmarks semblance-versioning-bench [--count N] [--cycles C] [--reimport N]
//
// On an N × 384 collection (default 100,000 random vectors, 1 shard, efConstruction 64):
//   branch:  creating a branch from main (a ref only), time and bytes written;
//   open:    opening a past commit against opening the head (snapshot(at:), median of 5);
//   diff:    1 % of the records changed, as one contiguous range of ids and scattered at
//            random (and 0.1 % and 10 % scattered), each diffed against reading both
//            commits whole and comparing them;
//   merge:   merging a branch that changed 1 % into main (a three-way merge commit);
// then, on its own collection:
//   disk:    importing the same 20,000 records C times (default 3), each followed by a
//            compaction and a garbage collection keeping the last commit, against one
//            fresh import.
import Foundation
import Semblance

func seconds(since start: ContinuousClock.Instant) -> Double {
    let d = ContinuousClock.now - start
    return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
}

/// Prints a line at once (stdout to a pipe is otherwise block-buffered).
func report(_ line: String = "") {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

func temporaryDirectory(_ label: String) -> String {
    let path = FileManager.default.temporaryDirectory.path + "/semblance-bench-\(label)-\(UUID().uuidString)"
    try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// Bytes in the files under `path`.
func diskUse(_ path: String) -> Int64 {
    var total: Int64 = 0
    let enumerator = FileManager.default.enumerator(atPath: path)
    while let name = enumerator?.nextObject() as? String {
        let attributes = try? FileManager.default.attributesOfItem(atPath: path + "/" + name)
        if attributes?[.type] as? FileAttributeType == .typeRegular { total += (attributes?[.size] as? NSNumber)?.int64Value ?? 0 }
    }
    return total
}

struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

func vector(_ rng: inout SplitMix, _ dimension: Int = 384) -> [Float] { (0..<dimension).map { _ in Float.random(in: -1...1, using: &rng) } }

func argument(_ name: String, default value: Int) -> Int {
    let arguments = CommandLine.arguments
    guard let i = arguments.firstIndex(of: name), i + 1 < arguments.count, let parsed = Int(arguments[i + 1]) else { return value }
    return parsed
}

/// The ids in which two snapshots differ, found by reading every record of both: what a
/// diff without content addresses costs.
func fullComparison(_ a: CollectionSnapshot, _ b: CollectionSnapshot) -> Int {
    var changed = 0
    var seen = 0
    var missing = 0
    for shard in a.shards {
        for record in shard.records {
            seen += 1
            guard let other = b.record(record.id) else { missing += 1; continue }
            if other.vector != record.vector || other.metadata != shard.metadata(of: record.id) { changed += 1 }
        }
    }
    // Removed, changed, and added (in b, not in a).
    return missing + changed + (b.count - (seen - missing))
}

let count = argument("--count", default: 100_000)
let cycles = argument("--cycles", default: 3)
let reimport = argument("--reimport", default: 20_000)
let changed = count / 100
let configuration = CollectionConfiguration(dimension: 384, metric: .cosine, efConstruction: 64, checkpointPolicy: .manual)
report("semblance-versioning-bench: \(count) × 384, 1 shard, \(ProcessInfo.processInfo.activeProcessorCount) cores, \(Date())\n")

let directory = temporaryDirectory("versioning")
defer { try? FileManager.default.removeItem(atPath: directory) }
let client = try await Client(directory: directory)
let main = try await client.createCollection("c", configuration: configuration)
var rng = SplitMix(state: 42)
let buildStart = ContinuousClock.now
var batch: [VectorRecord] = []
for i in 0..<count {
    batch.append(VectorRecord(id: String(format: "id%07d", i), vector: vector(&rng), metadata: ["group": .int(Int64(i % 10))]))
    if batch.count == 5_000 { try await main.upsert(batch); batch = [] }
}
if !batch.isEmpty { try await main.upsert(batch) }
let base = try await main.commit(message: "base")
report("built and committed in \(String(format: "%.1f", seconds(since: buildStart))) s; commit \(base.id.prefix(12))\n")

// Branch creation: a ref only.
let before = diskUse(directory)
var branchTimes: [Double] = []
for i in 0..<5 {
    let start = ContinuousClock.now
    try await main.createBranch("b\(i)", from: base.id)
    branchTimes.append(seconds(since: start))
}
let branchBytes = (diskUse(directory) - before) / 5
report("| operation | figure |")
report("|---|---|")
report("| create a branch of \(count) × 384 (median of 5) | \(String(format: "%.3f", median(branchTimes) * 1000)) ms, \(branchBytes) bytes written |")

// Changes: 1 % contiguous on branch "contiguous", 1 % scattered on "scattered".
let contiguousBranch = try await client.collection("c", branch: "b0")
let scatteredBranch = try await client.collection("c", branch: "b1")
let start0 = count / 2
try await contiguousBranch.upsert((start0..<(start0 + changed)).map { VectorRecord(id: String(format: "id%07d", $0), vector: vector(&rng)) })
let contiguous = try await contiguousBranch.commit(message: "1 % contiguous")
/// `n` records rewritten with new vectors at random ids.
func scatteredChange(_ n: Int, _ rng: inout SplitMix) -> [VectorRecord] {
    var picked = Set<Int>()
    while picked.count < n { picked.insert(Int.random(in: 0..<count, using: &rng)) }
    return picked.sorted().map { VectorRecord(id: String(format: "id%07d", $0), vector: vector(&rng)) }
}
try await scatteredBranch.upsert(scatteredChange(changed, &rng))
let scattered = try await scatteredBranch.commit(message: "1 % scattered")
// The same at a tenth and at ten times the change: how the diff's cost grows with it.
let tenthBranch = try await client.collection("c", branch: "b2")
try await tenthBranch.upsert(scatteredChange(changed / 10, &rng))
let scatteredTenth = try await tenthBranch.commit(message: "0.1 % scattered")
let tenfoldBranch = try await client.collection("c", branch: "b3")
try await tenfoldBranch.upsert(scatteredChange(changed * 10, &rng))
let scatteredTenfold = try await tenfoldBranch.commit(message: "10 % scattered")

// Opening a past commit against the head.
var headTimes: [Double] = []
var pastTimes: [Double] = []
for round in 0..<6 {
    // Alternately first and second, so that neither always finds the page cache warm.
    for which in (round % 2 == 0 ? [0, 1] : [1, 0]) {
        let start = ContinuousClock.now
        _ = try await main.snapshot(at: which == 0 ? "main" : scattered.id)
        (which == 0 ? { headTimes.append(seconds(since: start)) } : { pastTimes.append(seconds(since: start)) })()
    }
}
report("| open the head commit (snapshot(at: \"main\"), median of 6) | \(String(format: "%.0f", median(headTimes) * 1000)) ms |")
report("| open a past commit (median of 6, measured alternately before and after the head) | \(String(format: "%.0f", median(pastTimes) * 1000)) ms (\(String(format: "%.2f", median(pastTimes) / median(headTimes)))× the head) |")

// Diff against a full comparison.
for (label, commit, expected) in [("1 % changed contiguous", contiguous, changed), ("1 % changed scattered", scattered, changed),
                                  ("0.1 % changed scattered", scatteredTenth, changed / 10),
                                  ("10 % changed scattered", scatteredTenfold, changed * 10)] {
    var diffTimes: [Double] = []
    var fullTimes: [Double] = []
    var found = 0
    var fullFound = 0
    for _ in 0..<3 {
        var start = ContinuousClock.now
        let diff = try await main.diff(from: base.id, to: commit.id)
        diffTimes.append(seconds(since: start))
        found = Set(diff.vectorChanged + diff.metadataChanged + diff.added + diff.removed).count
        start = ContinuousClock.now
        fullFound = fullComparison(try await main.snapshot(at: base.id), try await main.snapshot(at: commit.id))
        fullTimes.append(seconds(since: start))
    }
    precondition(found == expected && fullFound == expected, "diff found \(found), full comparison \(fullFound), expected \(expected)")
    report("| diff, \(label) (median of 3) | \(String(format: "%.1f", median(diffTimes) * 1000)) ms against \(String(format: "%.0f", median(fullTimes) * 1000)) ms reading both whole: \(String(format: "%.1f", median(fullTimes) / median(diffTimes)))× faster |")
}

// Merge of a branch that changed 1 % into main (main changed too, so not a fast-forward).
try await main.upsert((0..<10).map { VectorRecord(id: "main-only-\($0)", vector: vector(&rng)) })
var start = ContinuousClock.now
let merged = try await main.merge("b1")
let mergeTime = seconds(since: start)
precondition(merged.parents.count == 2)
report("| merge a branch that changed 1 % (\(changed) records) into main | \(String(format: "%.2f", mergeTime)) s |")
await client.close()

// Disk use of re-import + compact cycles with a GC keeping the last commit.
let fresh = temporaryDirectory("fresh")
let cycling = temporaryDirectory("cycling")
defer {
    try? FileManager.default.removeItem(atPath: fresh)
    try? FileManager.default.removeItem(atPath: cycling)
}
// Automatic checkpoints every 5,000 writes: an import writes several commits as it goes,
// each with pages that the next one replaces.
let cycleConfiguration = CollectionConfiguration(dimension: 384, metric: .cosine, efConstruction: 64,
                                                 checkpointPolicy: CheckpointPolicy(maxOperations: 5_000))
var importRNG = SplitMix(state: 7)
let records = (0..<reimport).map { VectorRecord(id: "r\($0)", vector: vector(&importRNG)) }
do {
    let client = try await Client(directory: fresh)
    let collection = try await client.createCollection("c", configuration: cycleConfiguration)
    for start in stride(from: 0, to: records.count, by: 1_000) { try await collection.upsert(Array(records[start..<min(start + 1_000, records.count)])) }
    _ = try await collection.checkpoint()
    await client.close()
}
let freshBytes = diskUse(fresh)
let keeping = temporaryDirectory("keeping")
defer { try? FileManager.default.removeItem(atPath: keeping) }
report("\nRe-import of the same \(reimport) records (automatic checkpoints every 5,000 writes), each time compacted and committed, then gc keeping the last commit (grace 0), against the same cycles with nothing collected:\n")
report("| cycle | disk use with gc | ÷ one fresh import | without gc | ÷ one fresh import |")
report("|---|---|---|---|---|")
report("| fresh import | \(freshBytes / 1024) KiB | 1.00 | | |")
do {
    let client = try await Client(directory: cycling)
    let collection = try await client.createCollection("c", configuration: cycleConfiguration)
    let otherClient = try await Client(directory: keeping)
    let kept = try await otherClient.createCollection("c", configuration: cycleConfiguration)
    for cycle in 1...cycles {
        for target in [collection, kept] {
            for start in stride(from: 0, to: records.count, by: 1_000) { try await target.upsert(Array(records[start..<min(start + 1_000, records.count)])) }
            _ = try await target.compact()
            _ = try await target.commit(message: "import \(cycle)")
        }
        let garbage = try await collection.collectGarbage(retention: RetentionPolicy(keepLast: 1), grace: 0)
        let bytes = diskUse(cycling)
        let keptBytes = diskUse(keeping)
        report("| \(cycle) | \(bytes / 1024) KiB (gc freed \(garbage.freedBytes / 1024) KiB) | \(String(format: "%.2f", Double(bytes) / Double(freshBytes))) "
            + "| \(keptBytes / 1024) KiB | \(String(format: "%.2f", Double(keptBytes) / Double(freshBytes))) |")
    }
    await client.close()
    await otherClient.close()
}
