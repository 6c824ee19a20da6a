import Foundation

/// Writes every target's generated seeds under `directory`/<target>/, replacing the seeds
/// written before (files named seed-*) and leaving other inputs (a merged corpus,
/// regression inputs) alone.
func writeSeeds(to directory: String, targets: [FuzzTarget]) throws {
    let files = FileManager.default
    for target in targets {
        let folder = directory + "/" + target.name
        try files.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for name in try files.contentsOfDirectory(atPath: folder) where name.hasPrefix("seed-") {
            try files.removeItem(atPath: folder + "/" + name)
        }
        let seeds = try target.seeds()
        for (name, bytes) in seeds {
            try Data(bytes).write(to: URL(fileURLWithPath: folder + "/" + name))
        }
        print("\(target.name): \(seeds.count) seeds in \(folder)")
    }
}
