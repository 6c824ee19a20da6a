import CFuzzerDriver
import Foundation

// semblance-fuzz <target> [libFuzzer flags] [corpus dirs or files]
//     runs libFuzzer on one target (`-help=1` lists its flags);
// fuzz-<target> [libFuzzer flags] [corpus...]
//     the same, through a link with that name (scripts/fuzz.sh makes them);
// semblance-fuzz --seeds DIR [target...]
//     writes the generated seed corpora to DIR/<target>/;
// semblance-fuzz --list
//     names the targets.
//
// The target is handed to libFuzzer's child processes (-merge=1, -fork=N re-run this
// program with the same flags) through SEMBLANCE_FUZZ_TARGET.

let environmentKey = "SEMBLANCE_FUZZ_TARGET"

func usage() -> Never {
    let names = Targets.all.map(\.name).joined(separator: ", ")
    FileHandle.standardError.write(Data("""
        usage: semblance-fuzz <target> [libFuzzer flags] [corpus...]
               semblance-fuzz --seeds DIR [target...]
               semblance-fuzz --list
        targets: \(names)

        """.utf8))
    exit(2)
}

var arguments = CommandLine.arguments
switch arguments.dropFirst().first {
case "--list":
    for target in Targets.all { print("\(target.name)\t\(target.summary)") }
    exit(0)
case "--seeds":
    guard arguments.count >= 3 else { usage() }
    let names = arguments.dropFirst(3)
    var chosen: [FuzzTarget] = []
    for name in names {
        guard let target = Targets.named(name) else { usage() }
        chosen.append(target)
    }
    do {
        try writeSeeds(to: arguments[2], targets: chosen.isEmpty ? Targets.all : chosen)
    } catch {
        FileHandle.standardError.write(Data("error: \(error)\n".utf8))
        exit(1)
    }
    exit(0)
default:
    break
}

// The target: from the program's name, else the first argument, else the environment.
let programName = (arguments.first ?? "").split(separator: "/").last.map(String.init) ?? ""
if programName.hasPrefix("fuzz-"), Targets.named(String(programName.dropFirst(5))) != nil {
    setenv(environmentKey, String(programName.dropFirst(5)), 1)
} else if arguments.count > 1, Targets.named(arguments[1]) != nil {
    setenv(environmentKey, arguments[1], 1)
    arguments.remove(at: 1)
} else if ProcessInfo.processInfo.environment[environmentKey].flatMap(Targets.named) == nil {
    usage()
}
_ = selectedTarget  // resolved now, from the environment set above

var argc = CInt(arguments.count)
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = .allocate(capacity: arguments.count + 1)
for (i, argument) in arguments.enumerated() { argv![i] = strdup(argument) }
argv![arguments.count] = nil
exit(semblance_fuzz_run_driver(&argc, &argv) { data, size in
    selectedTarget.run(size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
})
