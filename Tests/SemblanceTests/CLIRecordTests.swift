import Foundation
import Testing
@testable import Semblance

/// The metric names of the `semblance` tool.
extension CLITests {
    @Test("--metric takes the library's names and the former ones; create and stats print the library's")
    func metricNames() throws {
        let scratch = TemporaryDirectory("semblance-cli")
        let data = scratch.file("data")
        let names = [("cosine", "cosine"), ("squaredEuclidean", "squaredEuclidean"), ("innerProduct", "innerProduct"),
                     ("euclidean", "squaredEuclidean"), ("l2", "squaredEuclidean"), ("dot", "innerProduct"), ("IP", "innerProduct")]
        for (i, (given, printed)) in names.enumerated() {
            let created = try Self.run(["create", "c\(i)", "--dimension", "2", "--metric", given, "--path", data])
            try created.expectSuccess()
            #expect(created.stdout.contains("2-d, \(printed), 1 shard"), "\(given): \(created)")
            let stats = try Self.run(["stats", "c\(i)", "--path", data, "--json"])
            try stats.expectSuccess()
            let configuration = try #require(try stats.jsonLines().first?["configuration"] as? [String: Any])
            #expect(Self.string(configuration, "metric") == printed, "\(given): \(stats)")
            #expect(try Self.run(["stats", "c\(i)", "--path", data]).stdout.contains("2-d, \(printed)\n"), "\(given)")
        }
        let created = try Self.run(["create", "c", "--dimension", "2", "--metric", "dot", "--path", data, "--json"])
        #expect(Self.string(try #require(try created.jsonLines().first), "metric") == "innerProduct", "\(created)")

        let unknown = try Self.run(["create", "bad", "--dimension", "2", "--metric", "manhattan", "--path", data])
        try unknown.expectOneLineFailure(mentioning: "'cosine', 'squaredEuclidean'")
        #expect(unknown.status == 64, "\(unknown)")
        let help = try Self.run(["create", "--help"])
        #expect(help.stdout.contains("squaredEuclidean") && help.stdout.contains("innerProduct"), "\(help)")
    }
}
