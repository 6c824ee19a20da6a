#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Semblance

// The child process of the crash tests (Tests/SemblanceTests/CrashTests.swift).
//
//   semblance-crash-worker <directory> <seed> <crash-at> <torn: yes|no> [trace]
//       Runs the scripted workload (Workload.swift) on a new collection in <directory>,
//       printing `inflight`/`ack` lines, and kills itself with SIGKILL at the <crash-at>-th
//       counted I/O call (0: never; see CrashingFileSystem.swift for what is counted), or
//       when torn is `yes`, at the <crash-at>-th write, after writing a random prefix of it.
//       Ends with `done <calls>` when it was not killed. `trace` lists every counted call.
//
//   semblance-crash-worker hold <directory>
//       Opens a client there, creates (or opens) the collection, upserts the id "held",
//       prints `holding`, and sleeps with it open (the locks held) until killed, or 120 s.
//
//   semblance-crash-worker write-batches <directory> <batches> <largest-batch> [first-batch]
//   semblance-crash-worker read-batches <directory> <batches> <largest-batch> <seconds> [pause-µs]
//       The writer and a reader of the readers' test (ReaderWorkload.swift); the reader
//       sleeps pause-µs after reading each shard's log, so that writes land in between.
//
//   semblance-crash-worker suspended-reader <directory> <lease-seconds>
//       The reader of the lapsed-lease test (SuspendedReader in ReaderWorkload.swift).
//
//   semblance-crash-worker serve
//       Starts workers (this executable) on request and reports their pids and ends; the
//       tests spawn their children through it (Spawner.swift says why).
//
// Exit status 64 for bad arguments, 1 when a storage call fails (`error <message>`).

func fail(_ message: String, status: Int32) -> Never {
    Output.line("error \(message)")
    exit(status)
}

let arguments = Array(CommandLine.arguments.dropFirst())
let usage = "usage: semblance-crash-worker <directory> <seed> <crash-at> <yes|no> [trace] | hold <directory> | serve"
    + " | write-batches <directory> <batches> <largest-batch> [first-batch] | read-batches <directory> <batches> <largest-batch> <seconds> [pause-µs]"
    + " | suspended-reader <directory> <lease-seconds>"

if arguments == ["serve"] { Spawner.serve() }

if arguments.count == 2 && arguments[0] == "hold" {
    let directory = arguments[1]
    do throws(SemblanceError) {
        let client = try await Client(directory: directory)
        let store = try await client.getOrCreateCollection(Workload.name, configuration: Workload.configuration)
        try await store.upsert(id: "held", vector: [Float](repeating: 0.5, count: Workload.configuration.dimension))
        Output.line("holding")
        sleep(120)
        await client.close()
    } catch {
        fail(error.description, status: 1)
    }
    exit(0)
}

if (4...5).contains(arguments.count) && arguments[0] == "write-batches", let batches = Int(arguments[2]), let size = Int(arguments[3]), size > 0,
   let first = arguments.count == 5 ? Int(arguments[4]) : 0 {
    do throws(SemblanceError) {
        try await ReaderWorkload.write(directory: arguments[1], batches: batches, largest: size, first: first)
    } catch {
        fail(error.description, status: 1)
    }
    exit(0)
}

if (5...6).contains(arguments.count) && arguments[0] == "read-batches", let batches = Int(arguments[2]), let size = Int(arguments[3]), size > 0,
   let seconds = Double(arguments[4]) {
    if arguments.count == 6, let pause = Int(arguments[5]) { BranchReader.pauseAfterEachLogRead(microseconds: pause) }
    do throws(SemblanceError) {
        exit(try await ReaderWorkload.read(directory: arguments[1], batches: batches, largest: size, seconds: seconds))
    } catch {
        fail(error.description, status: 1)
    }
}

if arguments.count == 3 && arguments[0] == "suspended-reader", let seconds = Double(arguments[2]) {
    exit(await SuspendedReader.run(directory: arguments[1], leaseSeconds: seconds))
}

guard (4...5).contains(arguments.count),
      let seed = UInt64(arguments[1]),
      let crashAt = Int(arguments[2]), crashAt >= 0,
      ["yes", "no"].contains(arguments[3]),
      arguments.count == 4 || arguments[4] == "trace"
else {
    fail(usage, status: 64)
}

let fs = CrashingFileSystem(crashAt: crashAt, torn: arguments[3] == "yes", seed: seed, trace: arguments.count == 5)
/// Runs the workload in a local variable (a top-level one would belong to the main actor).
func runWorkload(seed: UInt64, fs: any FileSystem, directory: String) async throws(SemblanceError) {
    var workload = Workload(seed: seed)
    try await workload.run(fs, directory: directory)
}

do throws(SemblanceError) {
    try await runWorkload(seed: seed, fs: fs, directory: arguments[0])
} catch {
    fail(error.description, status: 1)
}
Output.line("done \(fs.calls)")
