import Foundation
import Testing
@testable import Semblance

/// The versioning commands of the `semblance` tool, run as a child process: commit, log,
/// show, branch, tag, diff, merge, reset, gc, and `--branch` / `--at` on the record commands,
/// with their `--json` outputs.
@Suite("The semblance tool: commits, branches, tags, diff, merge, reset and gc")
struct CLIVersioningTests {
    typealias CLI = CLITests

    func json(_ arguments: [String]) throws -> [String: Any] {
        let run = try CLI.run(arguments + ["--json"])
        try run.expectSuccess()
        return try #require(try run.jsonLines().last, "\(run)")
    }

    func jsonArray(_ arguments: [String]) throws -> [[String: Any]] {
        let run = try CLI.run(arguments + ["--json"])
        try run.expectSuccess()
        let parsed = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8))
        return try #require(parsed as? [[String: Any]], "\(run)")
    }

    @Test("a branch is written, diffed, merged and reset; tags and --at read the past; gc frees what nothing names")
    func workflow() throws {
        let scratch = TemporaryDirectory("semblance-cli-versioning")
        let data = scratch.file("data")
        let path = ["--path", data]
        let records = CLI.records(count: 30, seed: 7)
        try CLI.writeJSONLines(Array(records[0..<20]), to: scratch.file("base.jsonl"), metadataEvery: 0)
        try CLI.writeJSONLines(Array(records[20..<30]), to: scratch.file("more.jsonl"), metadataEvery: 2)
        try CLI.run(["create", "docs", "--dimension", "\(CLI.dimension)", "--metric", "l2"] + path).expectSuccess()
        try CLI.run(["import", "docs", scratch.file("base.jsonl")] + path).expectSuccess()

        let first = CLI.string(try json(["commit", "docs", "-m", "twenty records"] + path), "commit")
        #expect(first.count == 64)
        let tag = try json(["tag", "docs", "v1"] + path)
        #expect(CLI.string(tag, "name") == "v1" && CLI.string(tag, "commit") == first)
        let branch = try json(["branch", "docs", "exp", "--from", "v1"] + path)
        #expect(CLI.string(branch, "commit") == first)
        #expect(try jsonArray(["branch", "docs"] + path).map { CLI.string($0, "name") } == ["exp", "main"])
        #expect(try CLI.run(["branch", "docs"] + path).stdout.contains("* main"))

        // On exp: ten more records, and two deleted; main is untouched.
        try CLI.run(["import", "docs", scratch.file("more.jsonl"), "--branch", "exp"] + path).expectSuccess()
        try CLI.run(["delete", "docs", records[0].id, records[1].id, "--branch", "exp"] + path).expectSuccess()
        let second = CLI.string(try json(["commit", "docs", "-m", "ten more, two fewer", "--branch", "exp"] + path), "commit")
        #expect(CLI.int(try json(["count", "docs", "--branch", "exp"] + path), "count") == 28)
        #expect(CLI.int(try json(["count", "docs"] + path), "count") == 20)

        let diff = try json(["diff", "docs", "main", "exp", "--ids"] + path)
        #expect(CLI.int(diff, "added") == 10 && CLI.int(diff, "removed") == 2 && CLI.int(diff, "vectorChanged") == 0)
        #expect((diff["removedIDs"] as? [String]) == [records[0].id, records[1].id].sorted())

        let log = try jsonArray(["log", "docs", "--branch", "exp", "--limit", "2"] + path)
        #expect(log.map { CLI.string($0, "id") }.first == second)
        #expect(log.count == 2 && log.first?["isAutomatic"] as? Bool == false && CLI.string(log[0], "branch") == "exp")
        #expect(CLI.string(try json(["show", "docs", String(second.prefix(10))] + path), "message") == "ten more, two fewer")

        // Merge exp into main: a fast-forward (main has nothing of its own since).
        let merged = try json(["merge", "docs", "exp"] + path)
        #expect(CLI.string(merged, "id") == second)
        #expect(CLI.int(try json(["count", "docs"] + path), "count") == 28)

        // The past: --at a tag, and --at with --branch refused.
        #expect(CLI.int(try json(["count", "docs", "--at", "v1"] + path), "count") == 20)
        try CLI.run(["get", "docs", records[0].id, "--at", "v1"] + path).expectSuccess()
        let gone = try CLI.run(["get", "docs", records[0].id] + path)
        #expect(gone.status != 0)
        let both = try CLI.run(["count", "docs", "--at", "v1", "--branch", "exp"] + path)
        #expect(both.status != 0 && both.stderr.contains("--at and --branch"))
        let search = try CLI.run(["search", "docs", "--vector", CLI.json(records[0].vector), "-k", "1", "--at", "v1", "--json"] + path)
        try search.expectSuccess()
        #expect(search.stdout.contains(records[0].id))

        // Reset main back to v1; then gc (nothing kept by age or count but heads and tags).
        #expect(CLI.string(try json(["reset", "docs", "v1"] + path), "id") == first)
        #expect(CLI.int(try json(["count", "docs"] + path), "count") == 20)
        try CLI.run(["branch", "docs", "--delete", "exp"] + path).expectSuccess()
        let gc = try json(["gc", "docs", "--keep-last", "0", "--grace", "0"] + path)
        #expect(CLI.int(gc, "deletedObjects") > 0 && CLI.int(gc, "freedBytes") > 0, "\(gc)")
        let verify = try CLI.run(["verify", "docs"] + path)
        try verify.expectSuccess()
        #expect(CLI.int(try json(["count", "docs", "--at", "v1"] + path), "count") == 20)

        // Bad input: a taken name, an unknown REF, a bad DURATION.
        let taken = try CLI.run(["tag", "docs", "V1"] + path)
        #expect(taken.status != 0 && taken.stderr.contains("exists"))
        let unknown = try CLI.run(["show", "docs", "nope"] + path)
        #expect(unknown.status != 0 && unknown.stderr.contains("nope"))
        let duration = try CLI.run(["gc", "docs", "--grace", "10x"] + path)
        #expect(duration.status != 0)
    }

    @Test("a three-way merge with a conflict: fail lists the id and writes nothing, theirs takes the branch's record; checkpoint, tag --delete and export --at")
    func conflicts() throws {
        let scratch = TemporaryDirectory("semblance-cli-conflicts")
        let data = scratch.file("data")
        let path = ["--path", data]
        let records = CLI.records(count: 12, seed: 9)
        try CLI.writeJSONLines(Array(records[0..<10]), to: scratch.file("base.jsonl"), metadataEvery: 0)
        try CLI.run(["create", "docs", "--dimension", "\(CLI.dimension)", "--metric", "l2"] + path).expectSuccess()
        try CLI.run(["import", "docs", scratch.file("base.jsonl")] + path).expectSuccess()
        let base = CLI.string(try json(["checkpoint", "docs"] + path), "commit")
        #expect(base.count == 64)
        #expect(CLI.string(try json(["checkpoint", "docs"] + path), "commit") == base, "nothing to write: the head")
        try CLI.run(["branch", "docs", "b"] + path).expectSuccess()

        // doc-3 changes on both sides, differently; doc-10 is new on b only, doc-11 on main only.
        let changed = records[3].vector.map { $0 + 1 }
        try CLI.writeJSONLines([(id: records[3].id, vector: changed), records[10]], to: scratch.file("b.jsonl"), metadataEvery: 0)
        try CLI.writeJSONLines([(id: records[3].id, vector: changed.map { $0 * 2 }), records[11]], to: scratch.file("main.jsonl"), metadataEvery: 0)
        try CLI.run(["import", "docs", scratch.file("b.jsonl"), "--branch", "b"] + path).expectSuccess()
        try CLI.run(["import", "docs", scratch.file("main.jsonl")] + path).expectSuccess()
        let head = CLI.string(try json(["commit", "docs", "-m", "main's change"] + path), "commit")

        let refused = try CLI.run(["merge", "docs", "b", "--strategy", "fail"] + path)
        #expect(refused.status != 0 && refused.stderr.contains(records[3].id), "\(refused)")
        #expect(CLI.string(try json(["show", "docs", "main"] + path), "id") == head, "a refused merge writes no commit")
        let merged = try json(["merge", "docs", "b", "--strategy", "theirs", "-m", "take b"] + path)
        #expect((merged["parents"] as? [String])?.count == 2 && CLI.string(merged, "message") == "take b")
        #expect(CLI.int(try json(["count", "docs"] + path), "count") == 12)
        let got = try CLI.run(["get", "docs", records[3].id, "--json"] + path)
        try got.expectSuccess()
        let vector = try #require(try got.jsonLines().first?["vector"] as? [NSNumber]).map(\.floatValue)
        #expect(vector == changed, "theirs: b's vector")

        // export --at the first commit: the ten records it held.
        let exported = scratch.file("at-base.jsonl")
        try CLI.run(["export", "docs", exported, "--at", String(base.prefix(12))] + path).expectSuccess()
        let lines = try String(contentsOfFile: exported, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 10)

        try CLI.run(["tag", "docs", "keep", "--at", base] + path).expectSuccess()
        #expect(try jsonArray(["tag", "docs"] + path).map { CLI.string($0, "name") } == ["keep"])
        #expect(CLI.string(try json(["tag", "docs", "--delete", "keep"] + path), "deleted") == "keep")
        #expect(try jsonArray(["tag", "docs"] + path).isEmpty)
    }
}
